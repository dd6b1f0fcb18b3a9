using Microsoft.Extensions.Logging;
using Sana.Orleans.Jobs;
using Sana.Storage;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// Stores one image, retrying a failing store with exponential backoff (initial delay doubling up to a maximum)
/// for a bounded time: a store that is away for a while (Azure throttling, a restarted Azurite, a network blip)
/// delays the chunk instead of failing it; a store away for longer than the budget fails the chunk, and the job
/// hands its images to another GPU. A store that refuses access (<see cref="ImageStoreAccessException"/>) is not
/// retried. Safe because a save under the same key overwrites with identical bytes.
/// </summary>
internal sealed partial class StoreRetry(IImageStore store, SanaGrainsOptions options, TimeProvider time, ILogger logger)
{
    public async Task<string> SaveAsync(ImageKey key, byte[] file, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var delay = options.StoreRetryInitialDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await store.SaveAsync(key, file, cancellationToken).ConfigureAwait(false);
            }
            catch (ImageStoreAccessException e)
            {
                // The store refuses this silo (a read-only SAS, a container it may not create): waiting fixes nothing,
                // so the chunk goes back at once and the job gives its images to GPUs of other silos.
                LogGaveUp(logger, key.JobId, key.Index, attempt, e.Message);
                throw new ImageStoreUnavailableException($"image store refuses this silo: {e.Message}", e);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not ArgumentException)
            {
                if (time.GetUtcNow() - started + delay > options.StoreRetryBudget)
                {
                    LogGaveUp(logger, key.JobId, key.Index, attempt, e.Message);
                    throw new ImageStoreUnavailableException(
                        $"image store failed {attempt} times over {(time.GetUtcNow() - started).TotalSeconds:0.#} s: {e.Message}");
                }

                LogRetry(logger, key.JobId, key.Index, attempt, delay.TotalMilliseconds, e.Message);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.StoreRetryMaxDelay.Ticks));
            }
        }
    }

    /// <summary>Counts the store retries of this process, for the reliability report and tests.</summary>
    public static long Retries => Interlocked.Read(ref _retries);

    private static long _retries;

    private static void LogRetry(ILogger logger, string jobId, int index, int attempt, double delayMs, string error)
    {
        Interlocked.Increment(ref _retries);
        LogRetryCore(logger, jobId, index, attempt, delayMs, error);
    }
}
