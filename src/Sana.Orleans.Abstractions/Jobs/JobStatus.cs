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

/// <summary>A job's progress at one moment.</summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.JobStatus")]
public sealed record JobStatus(
    [property: Id(0)] string JobId,
    [property: Id(1)] JobState State,
    [property: Id(2)] int Total,
    [property: Id(3)] int Completed,
    [property: Id(4)] int InFlight,
    [property: Id(5)] int GpusBusy,
    [property: Id(6)] string? Error,
    [property: Id(7)] DateTimeOffset? SubmittedAt,
    [property: Id(8)] DateTimeOffset? FinishedAt)
{
    public bool IsFinished => State is JobState.Completed or JobState.Cancelled or JobState.Failed;
}

/// <summary>
/// One finished image of a job: which index and seed, which GPU made it, and where it is stored. Pixels never travel
/// through grain calls; <see cref="ImageReference"/> resolves through the image store.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.JobImage")]
public sealed record JobImage(
    [property: Id(0)] int Index,
    [property: Id(1)] ulong Seed,
    [property: Id(2)] string GpuId,
    [property: Id(3)] string ImageReference);
