namespace Sana.Orleans.Gpus;

/// <summary>
/// A GPU grain as the directory lists it: where it lives, what model it serves and how many images it takes per
/// micro-batch. Jobs size their chunks from <see cref="Capacity"/> and validate sizes against <see cref="PixelFactor"/>.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.GpuDescriptor")]
public sealed record GpuDescriptor(
    [property: Id(0)] string GpuId,
    [property: Id(1)] string SiloName,
    [property: Id(2)] string Device,
    [property: Id(3)] string ModelName,
    [property: Id(4)] int PixelFactor,
    [property: Id(5)] int NumLayers,
    [property: Id(6)] int Capacity)
{
    /// <summary>
    /// Ready GPUs take chunks; an Unhealthy one (its model failed to load) is listed so that operators see it, and
    /// jobs skip it until its health probe succeeds and its silo registers it again as Ready.
    /// </summary>
    [Id(7)] public GpuHealth Health { get; init; } = GpuHealth.Ready;
}
