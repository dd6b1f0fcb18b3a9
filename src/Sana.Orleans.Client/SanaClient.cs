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
        JobStatus? status = null;
        var seen = new HashSet<int>();
        var failures = 0;
        while (true)
        {
            if (status is null)
            {
                // The job's silo may have just died: the first call may fail until membership has noticed.
                try
                {
                    status = await job.GetStatus().WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (IsTransient(e, cancellationToken) && ++failures <= MaxWatchRetries)
                {
                    await Task.Delay(Backoff(failures), cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            // The job grain's silo may die mid-watch; the job resumes elsewhere, so the watch does too. A resumed watch
            // replays the images already done, and each index is reported once. A stream of a dead activation may hang
            // instead of failing: silence is checked against the job's status (see NextAsync).
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var stream = job.Watch(attempt.Token).GetAsyncEnumerator(attempt.Token);
            var ended = false;
            try
            {
                while (true)
                {
                    JobImage image;
                    try
                    {
                        if (!await NextAsync(stream, job, seen.Count, attempt, cancellationToken).ConfigureAwait(false))
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
                await attempt.CancelAsync().ConfigureAwait(false);
                try
                {
                    await stream.DisposeAsync().AsTask().WaitAsync(StreamDisposeTimeout, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is TimeoutException or OrleansException or OperationCanceledException or EnumerationAbortedException)
                {
                    // the stream's activation is gone; nothing to release there
                }
            }

            if (ended)
            {
                yield break;
            }

            await Task.Delay(Backoff(failures), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The next image of a watch stream. While it is silent for <see cref="SilenceProbeInterval"/>, asks the job's status:
    /// a job with more images done than this watch has seen, or finished, means the stream belongs to an activation
    /// that died (its silo was killed) and a fresh watch is needed; a status call that fails means the same.
    /// </summary>
    private static async Task<bool> NextAsync(
        IAsyncEnumerator<JobImage> stream, IGenerationJobGrain job, int seen,
        CancellationTokenSource attempt, CancellationToken cancellationToken)
    {
        var move = stream.MoveNextAsync().AsTask();
        while (true)
        {
            var first = await Task.WhenAny(move, Task.Delay(SilenceProbeInterval, cancellationToken)).ConfigureAwait(false);
            if (first == move)
            {
                return await move.ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            JobStatus status;
            try
            {
                status = await job.GetStatus().WaitAsync(SilenceProbeTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                status = new JobStatus(job.GetPrimaryKeyString(), JobState.None, 0, int.MaxValue, 0, 0, e.Message, null, null);
            }

            if (status.Completed > seen || status.IsFinished)
            {
                await attempt.CancelAsync().ConfigureAwait(false);
                _ = move.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw new TimeoutException($"the watch of job {job.GetPrimaryKeyString()} went silent while the job went on; watching again");
            }
        }
    }

    /// <summary>Silence on a watch after which the job's status is checked.</summary>
    public static readonly TimeSpan SilenceProbeInterval = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan SilenceProbeTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan StreamDisposeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive broken watches (no image in between) tolerated before the error reaches the caller (about 5 minutes).</summary>
    public const int MaxWatchRetries = 150;

    /// <summary>First back-off between watch attempts; it doubles per failed attempt up to <see cref="MaxWatchRetryDelay"/>.</summary>
    public static readonly TimeSpan WatchRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Longest back-off between watch attempts: short, so a watch picks the job up again soon after membership has
    /// declared a dead silo dead (the call that reactivates the job grain elsewhere is the watch's next attempt).
    /// </summary>
    public static readonly TimeSpan MaxWatchRetryDelay = TimeSpan.FromSeconds(2);

    private static TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(Math.Min(WatchRetryDelay.Ticks << Math.Min(failures - 1, 16), MaxWatchRetryDelay.Ticks));

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
