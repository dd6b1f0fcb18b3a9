using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains;

/// <summary>
/// How one chunk call ended, and so who it is charged to: the worker's health and metrics and the job's dispatch loop
/// read the same answer from <see cref="ChunkOutcomes.Of"/>, so they cannot disagree about whose fault a failure is.
/// </summary>
internal enum ChunkOutcome
{
    /// <summary>Its images are recorded.</summary>
    Recorded,

    /// <summary>A stopping silo handed it back: no failure, its images wait again at once.</summary>
    HandedBack,

    /// <summary>The request is at fault (<see cref="JobRequestException"/>): the job fails with its message.</summary>
    BadRequest,

    /// <summary>The call was cancelled (the job's cancel, its caller gone): charged to the job's run, not the GPU's health.</summary>
    Cancelled,

    /// <summary>The GPU is unhealthy: skipped until its probe is due, not counted against it.</summary>
    GpuUnavailable,

    /// <summary>The image store stayed away past the retry budget, or refuses: not the GPU's fault.</summary>
    StoreUnavailable,

    /// <summary>Anything else: the GPU's (its session, its silo): counts against its health and, in a job, against it.</summary>
    Failed,
}

internal static class ChunkOutcomes
{
    /// <summary>The outcome of a chunk call that threw <paramref name="e"/>, on the worker or after crossing to the job.</summary>
    public static ChunkOutcome Of(Exception e) => e switch
    {
        JobRequestException => ChunkOutcome.BadRequest,
        GpuLeavingException => ChunkOutcome.HandedBack,
        OperationCanceledException => ChunkOutcome.Cancelled,
        GpuUnavailableException => ChunkOutcome.GpuUnavailable,
        ImageStoreUnavailableException => ChunkOutcome.StoreUnavailable,
        _ => ChunkOutcome.Failed,
    };

    /// <summary>Whether the call lost its chunk to a fault (the metrics' failed chunks): the GPU's or the store's.</summary>
    public static bool IsFault(ChunkOutcome outcome) => outcome is ChunkOutcome.Failed or ChunkOutcome.StoreUnavailable;
}
