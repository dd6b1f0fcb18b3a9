namespace Sana.Orleans.Jobs;

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
