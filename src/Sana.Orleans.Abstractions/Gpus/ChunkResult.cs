using Sana.Orleans.Jobs;

namespace Sana.Orleans.Gpus;

/// <summary>What a GPU made of a chunk: stored image references (never pixels) and the micro-batch it ran with.</summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.ChunkResult")]
public sealed record ChunkResult(
    [property: Id(0)] string GpuId,
    [property: Id(1)] JobImage[] Images,
    [property: Id(2)] int MicroBatch,
    [property: Id(3)] TimeSpan Elapsed);
