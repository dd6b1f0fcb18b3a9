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

    /// <summary>Micro-batches per chunk handed to a GPU: more amortises call overhead, fewer balances the tail.</summary>
    public int MicroBatchesPerChunk { get; set; } = 1;

    /// <summary>How often a running job asks the directory for GPUs that joined.</summary>
    public TimeSpan DirectoryRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a job with no usable GPU waits before asking the directory again.</summary>
    public TimeSpan NoGpuRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Failed chunk calls a job tolerates on one GPU before it stops using that GPU.</summary>
    public int MaxFailuresPerGpu { get; set; } = 3;

    /// <summary>Failed chunk calls in a row (no image finished in between) after which the job fails.</summary>
    public int MaxConsecutiveFailures { get; set; } = 20;

    /// <summary>Period of the reminder that resumes a running job after its silo crashed (Orleans' minimum is 1 minute).</summary>
    public TimeSpan ResumeReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Pixel factor used to validate sizes while no GPU has registered yet (Sana's DC-AE: 32).</summary>
    public int DefaultPixelFactor { get; set; } = 32;

    internal IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(JobStorageName))
        {
            yield return "JobStorageName: must not be empty";
        }

        if (MaxImagesPerJob < 1)
        {
            yield return "MaxImagesPerJob: must be at least 1";
        }

        if (MicroBatchesPerChunk < 1)
        {
            yield return "MicroBatchesPerChunk: must be at least 1";
        }

        if (MaxFailuresPerGpu < 1 || MaxConsecutiveFailures < 1)
        {
            yield return "MaxFailuresPerGpu, MaxConsecutiveFailures: must be at least 1";
        }

        if (DefaultPixelFactor < 1)
        {
            yield return "DefaultPixelFactor: must be at least 1";
        }
    }
}
