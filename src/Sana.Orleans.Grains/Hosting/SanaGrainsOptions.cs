namespace Sana.Orleans.Grains;

/// <summary>How the Sana grains behave on a silo; set through <c>AddSanaGrains(o => ...)</c> or configuration.</summary>
public sealed class SanaGrainsOptions
{
    /// <summary>The grain storage that holds job state. Memory by default; Azure tables in the cloud.</summary>
    public string JobStorageName { get; set; } = "sana-jobs";

    /// <summary>Registers in-memory grain storage under <see cref="JobStorageName"/> (turn off when the host adds its own).</summary>
    public bool UseInMemoryJobStorage { get; set; } = true;

    /// <summary>Registers the in-memory reminder service that resumes jobs (turn off when the host adds a durable one).</summary>
    public bool UseInMemoryReminders { get; set; } = true;

    public int MaxImagesPerJob { get; set; } = 100_000;

    /// <summary>Most items (prompts) one job holds: the whole list is kept in the job's stored state.</summary>
    public int MaxItemsPerJob { get; set; } = 10_000;

    /// <summary>Most characters of prompts and negative prompts one job's items hold together.</summary>
    public int MaxItemTextChars { get; set; } = 4_000_000;

    /// <summary>Micro-batches per chunk handed to a GPU: more amortises call overhead, fewer balances the tail.</summary>
    public int MicroBatchesPerChunk { get; set; } = 1;

    /// <summary>
    /// Chunks of one job a GPU holds at once while enough images wait: with 2, the next chunk is already on the GPU
    /// worker when the current one's generation ends, so the GPU need not wait for encodes, stores and the job's
    /// next dispatch. At the end of a job each GPU holds one chunk, so the tail still splits by speed (docs/operations.md,
    /// "Chunks in flight per GPU", has the measurement). 1 gives the shortest tail when a job is no larger than one
    /// chunk per GPU.
    /// </summary>
    public int ChunksInFlightPerGpu { get; set; } = 2;

    /// <summary>
    /// Runs one untimed generation at the worker's micro-batch when the model loads, before the GPU is offered to
    /// jobs (ONNX Runtime's first call at a shape is slow; see ChunkExecutor.WarmUp).
    /// </summary>
    public bool WarmUpOnLoad { get; set; } = true;

    /// <summary>How often a running job asks the directory for GPUs that joined.</summary>
    public TimeSpan DirectoryRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often each silo registers its GPUs with the directory again, besides at every membership change: the
    /// directory grain keeps its list in memory, so a fresh activation of it is full again within this period.
    /// </summary>
    public TimeSpan GpuRegistrationRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a job with no usable GPU waits before asking the directory again.</summary>
    public TimeSpan NoGpuRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Failed chunk calls a job tolerates on one GPU before it stops using that GPU.</summary>
    public int MaxFailuresPerGpu { get; set; } = 3;

    /// <summary>Failed chunk calls in a row (no image finished in between) after which the job fails.</summary>
    public int MaxConsecutiveFailures { get; set; } = 20;

    /// <summary>Period of the reminder that resumes a running job after its silo crashed (Orleans' minimum is 1 minute).</summary>
    public TimeSpan ResumeReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// On a graceful stop, how long running chunks get to finish before they are cancelled and handed back (queued
    /// chunks go back at once). Keep it below the host's shutdown timeout.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Pixel factor used to validate sizes while no GPU has registered yet (Sana's DC-AE: 32).</summary>
    public int DefaultPixelFactor { get; set; } = 32;

    /// <summary>Jobs the cluster holds (running or waiting) before it answers "busy, retry after" (<see cref="Sana.Orleans.Jobs.ClusterBusyException"/>).</summary>
    public int MaxQueuedJobs { get; set; } = 10_000;

    /// <summary>Images of unfinished jobs the cluster holds before it answers "busy, retry after".</summary>
    public long MaxQueuedImages { get; set; } = 10_000_000;

    /// <summary>The retry-after a busy answer carries.</summary>
    public TimeSpan BusyRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often a running job renews its admission (an admission not renewed for 4 periods lapses).</summary>
    public TimeSpan AdmissionRenewInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>First wait before storing an image again after the image store failed; doubles up to <see cref="StoreRetryMaxDelay"/>.</summary>
    public TimeSpan StoreRetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan StoreRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one image keeps retrying its store before its chunk fails (and the job re-queues it).</summary>
    public TimeSpan StoreRetryBudget { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Chunks in a row a GPU's session may fail (not bad requests, not cancellations) before it is marked unhealthy.</summary>
    public int UnhealthyAfterFailures { get; set; } = 2;

    /// <summary>How long an unhealthy GPU waits before its health probe (reload the model, or one tiny image).</summary>
    public TimeSpan GpuProbeInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Test hook, off unless set: a folder in which a file "{point}.arm" (points: before-generate, mid-generate,
    /// while-storing) makes the next chunk of this silo write "{point}.reached" and wait there until "{point}.arm" is
    /// deleted, so fault tests kill a silo process at an exact point instead of by timing.
    /// </summary>
    public string? FaultGateDirectory { get; set; }

    /// <summary>Every setting of these options onto <paramref name="target"/>: one configured instance feeds the options pipeline.</summary>
    internal void CopyTo(SanaGrainsOptions target)
    {
        foreach (var property in typeof(SanaGrainsOptions).GetProperties().Where(p => p is { CanRead: true, CanWrite: true }))
        {
            property.SetValue(target, property.GetValue(this));
        }
    }

    internal IEnumerable<string> Problems()
    {
        if (MaxQueuedJobs < 1 || MaxQueuedImages < 1)
        {
            yield return "MaxQueuedJobs, MaxQueuedImages: must be at least 1";
        }

        if (BusyRetryAfter <= TimeSpan.Zero || AdmissionRenewInterval <= TimeSpan.Zero || GpuProbeInterval <= TimeSpan.Zero
            || GpuRegistrationRefreshInterval <= TimeSpan.Zero)
        {
            yield return "BusyRetryAfter, AdmissionRenewInterval, GpuProbeInterval, GpuRegistrationRefreshInterval: must be positive";
        }

        if (StoreRetryInitialDelay <= TimeSpan.Zero || StoreRetryMaxDelay < StoreRetryInitialDelay || StoreRetryBudget < TimeSpan.Zero)
        {
            yield return "StoreRetryInitialDelay (> 0), StoreRetryMaxDelay (>= initial), StoreRetryBudget (>= 0): out of range";
        }

        if (UnhealthyAfterFailures < 1)
        {
            yield return "UnhealthyAfterFailures: must be at least 1";
        }

        if (string.IsNullOrWhiteSpace(JobStorageName))
        {
            yield return "JobStorageName: must not be empty";
        }

        if (MaxImagesPerJob < 1)
        {
            yield return "MaxImagesPerJob: must be at least 1";
        }

        if (MaxItemsPerJob < 1 || MaxItemTextChars < 1)
        {
            yield return "MaxItemsPerJob, MaxItemTextChars: must be at least 1";
        }

        if (ChunksInFlightPerGpu < 1)
        {
            yield return "ChunksInFlightPerGpu: must be at least 1";
        }

        if (MicroBatchesPerChunk < 1)
        {
            yield return "MicroBatchesPerChunk: must be at least 1";
        }

        if (MaxFailuresPerGpu < 1 || MaxConsecutiveFailures < 1)
        {
            yield return "MaxFailuresPerGpu, MaxConsecutiveFailures: must be at least 1";
        }

        if (DrainTimeout < TimeSpan.Zero)
        {
            yield return "DrainTimeout: must not be negative";
        }

        if (DefaultPixelFactor < 1)
        {
            yield return "DefaultPixelFactor: must be at least 1";
        }
    }
}
