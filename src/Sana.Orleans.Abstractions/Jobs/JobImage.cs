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
    [property: Id(3)] string ImageReference)
{
    /// <summary>The item the image belongs to (0 for a job of one prompt).</summary>
    [Id(4)] public int Item { get; init; }

    /// <summary>The image's index within its item (its job index for a job of one prompt).</summary>
    [Id(5)] public int IndexInItem { get; init; }

    /// <summary>SHA-256 of the stored file, lowercase hex, as the GPU that stored it computed it.</summary>
    [Id(6)] public string? Sha256 { get; init; }
}
