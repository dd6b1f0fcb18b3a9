using Sana.Orleans.Jobs;

namespace Sana.Orleans.Gpus;

/// <summary>One image of a chunk: its index in the job and its seed (job seed + index).</summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.ChunkImage")]
public readonly record struct ChunkImage([property: Id(0)] int Index, [property: Id(1)] ulong Seed);

/// <summary>Work a job hands one GPU: some of its image indices, all with the job's settings.</summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.ChunkRequest")]
public sealed record ChunkRequest(
    [property: Id(0)] string JobId,
    [property: Id(1)] ImageJobRequest Request,
    [property: Id(2)] ChunkImage[] Images);

/// <summary>What a GPU made of a chunk: stored image references (never pixels) and the micro-batch it ran with.</summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.ChunkResult")]
public sealed record ChunkResult(
    [property: Id(0)] string GpuId,
    [property: Id(1)] JobImage[] Images,
    [property: Id(2)] int MicroBatch,
    [property: Id(3)] TimeSpan Elapsed);
