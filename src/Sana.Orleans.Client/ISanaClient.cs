using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Client;

/// <summary>One finished image as a watcher sees it, with how far the job has come.</summary>
/// <param name="Image">Index, seed, GPU and where the image is stored.</param>
/// <param name="Completed">Images of the job this watcher has seen finish, this one included.</param>
/// <param name="Total">Images the job makes.</param>
public sealed record JobProgress(JobImage Image, int Completed, int Total);

/// <summary>
/// What a service needs from a Sana cluster, without grain vocabulary: submit a job, follow it, stop it, see the GPUs.
/// Works the same in a separate client process and inside a silo.
/// </summary>
public interface ISanaClient
{
    /// <summary>
    /// Starts a job and returns its id. Passing <paramref name="jobId"/> makes the call idempotent: submitting the same
    /// id and request again returns the same job instead of running it twice.
    /// </summary>
    /// <exception cref="JobRequestException">the request is invalid (the message names the field); nothing runs.</exception>
    /// <exception cref="ClusterBusyException">the cluster's queue is full; nothing runs: submit again after its RetryAfter
    /// (or use <see cref="SanaClientAdmissionExtensions.SubmitWhenAdmittedAsync"/>).</exception>
    Task<string> SubmitAsync(ImageJobRequest request, string? jobId = null, CancellationToken cancellationToken = default);

    /// <summary>Each image of the job as it is stored (those already done first); ends when the job ends.</summary>
    IAsyncEnumerable<JobProgress> WatchAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>The job's state and counts; <see cref="JobState.None"/> for an id never submitted.</summary>
    Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Every image the job has stored so far, by index.</summary>
    Task<IReadOnlyList<JobImage>> GetImagesAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Stops the job; images already stored stay.</summary>
    Task<JobStatus> CancelAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Every GPU worker of the active silos with its load; a worker that does not answer shows as unhealthy.</summary>
    Task<IReadOnlyList<GpuWorkerStatus>> ListGpusAsync(CancellationToken cancellationToken = default);
}
