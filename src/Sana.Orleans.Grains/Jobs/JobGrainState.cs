using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Jobs;

/// <summary>What a job grain persists: enough to resume after a crash without making any image twice.</summary>
[GenerateSerializer]
[Alias("sana.JobGrainState")]
public sealed class JobGrainState
{
    [Id(0)] public ImageJobRequest? Request { get; set; }
    [Id(1)] public JobState State { get; set; }
    [Id(2)] public string? Error { get; set; }

    /// <summary>Finished images in the order they finished; each index at most once.</summary>
    [Id(3)] public List<JobImage> Images { get; set; } = [];
    [Id(4)] public DateTimeOffset? SubmittedAt { get; set; }
    [Id(5)] public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The model the job runs on, fixed at submit so a resumed job never mixes models.</summary>
    [Id(6)] public string? ModelName { get; set; }
}

/// <summary>Names the job state and the grain storage it lives in (configurable: memory by default).</summary>
internal sealed record JobStateConfiguration(string StateName, string StorageName) : IPersistentStateConfiguration;
