using Sana.Orleans.Jobs;

namespace Sana.Orleans.Gpus;

/// <summary>One image of a chunk: its index in the job and its seed (job seed + index).</summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.ChunkImage")]
public readonly record struct ChunkImage([property: Id(0)] int Index, [property: Id(1)] ulong Seed);
