using System.Runtime.CompilerServices;
using Orleans.Runtime;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Client;

/// <summary><see cref="ISanaClient"/> over grain calls; holds no state, so one instance serves a whole process.</summary>
public sealed class SanaClient(IGrainFactory grains) : ISanaClient
{
    /// <summary>How long <see cref="ListGpusAsync"/> waits for one worker's status before calling it unhealthy.</summary>
    public static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(10);

    public async Task<string> SubmitAsync(ImageJobRequest request, string? jobId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        JobRequestText.EnsureEncodable(request);
        var id = string.IsNullOrWhiteSpace(jobId) ? NewJobId() : jobId;
        await grains.GetGrain<IGenerationJobGrain>(id).Submit(request).WaitAsync(cancellationToken).ConfigureAwait(false);
        return id;
    }

    public async IAsyncEnumerable<JobProgress> WatchAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var job = grains.GetGrain<IGenerationJobGrain>(jobId);
        var status = await job.GetStatus().WaitAsync(cancellationToken).ConfigureAwait(false);
        var seen = new HashSet<int>();
        var failures = 0;
        while (true)
        {
            // The job grain's silo may die mid-watch; the job resumes elsewhere, so the watch does too. A resumed watch
            // replays the images already done, and each index is reported once.
            var stream = job.Watch(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false).GetAsyncEnumerator();
            var ended = false;
            try
            {
                while (true)
                {
                    JobImage image;
                    try
                    {
                        if (!await stream.MoveNextAsync())
                        {
                            ended = true;
                            break;
                        }

                        image = stream.Current;
                    }
                    catch (Exception e) when (IsTransient(e, cancellationToken) && ++failures <= MaxWatchRetries)
                    {
                        break;
                    }

                    if (seen.Add(image.Index))
                    {
                        failures = 0;
                        yield return new JobProgress(image, seen.Count, status.Total);
                    }
                }
            }
            finally
            {
                await stream.DisposeAsync();
            }

            if (ended)
            {
                yield break;
            }

            await Task.Delay(WatchRetryDelay * failures, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Consecutive broken watches (no image in between) tolerated before the error reaches the caller.</summary>
    public const int MaxWatchRetries = 30;

    /// <summary>Back-off step between watch attempts; attempt n waits n steps.</summary>
    public static readonly TimeSpan WatchRetryDelay = TimeSpan.FromSeconds(1);

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && e is OrleansException or EnumerationAbortedException or TimeoutException or OperationCanceledException;

    public Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IGenerationJobGrain>(jobId).GetStatus().WaitAsync(cancellationToken);

    public async Task<IReadOnlyList<JobImage>> GetImagesAsync(string jobId, CancellationToken cancellationToken = default) =>
        await grains.GetGrain<IGenerationJobGrain>(jobId).GetImages().WaitAsync(cancellationToken).ConfigureAwait(false);

    public Task<JobStatus> CancelAsync(string jobId, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IGenerationJobGrain>(jobId).Cancel().WaitAsync(cancellationToken);

    public async Task<IReadOnlyList<GpuWorkerStatus>> ListGpusAsync(CancellationToken cancellationToken = default)
    {
        var gpus = await grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).ListGpus().WaitAsync(cancellationToken).ConfigureAwait(false);
        var statuses = await Task.WhenAll(gpus.Select(gpu => StatusOf(gpu, cancellationToken))).ConfigureAwait(false);
        return statuses;
    }

    /// <summary>A fresh job id: 32 hex digits, safe as a folder name and a blob prefix.</summary>
    public static string NewJobId() => Guid.NewGuid().ToString("N");

    private async Task<GpuWorkerStatus> StatusOf(GpuDescriptor gpu, CancellationToken cancellationToken)
    {
        try
        {
            return await grains.GetGrain<IGpuWorkerGrain>(gpu.GpuId).GetStatus().WaitAsync(StatusTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new GpuWorkerStatus(gpu.GpuId, gpu.SiloName, gpu.Device, gpu.ModelName, gpu.Capacity, Queued: 0, Busy: false,
                ImagesPerSecond: 0, ImagesDone: 0, ProcessMemoryBytes: 0, GpuHealth.Unhealthy, $"status unavailable: {e.Message}",
                ActivatedOn: "");
        }
    }
}
