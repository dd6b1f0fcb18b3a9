using Sana.Orleans.Jobs;

namespace Sana.Orleans.Gpus;

/// <summary>Work a job hands one GPU: some of its image indices, all with the job's settings.</summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.ChunkRequest")]
public sealed record ChunkRequest(
    [property: Id(0)] string JobId,
    [property: Id(1)] ImageJobRequest Request,
    [property: Id(2)] ChunkImage[] Images);
