namespace Sana.Orleans.Jobs;

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
