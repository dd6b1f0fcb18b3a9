namespace Sana.Orleans.Jobs;

/// <summary>Where a job is in its life.</summary>
[GenerateSerializer]
[Alias("sana.JobState")]
public enum JobState
{
    /// <summary>No job was submitted under this id.</summary>
    None = 0,

    /// <summary>Accepted; images are being made (or wait for a free GPU).</summary>
    Running = 1,
    Completed = 2,
    Cancelled = 3,
    Failed = 4,
}
