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

/// <summary>Whether a GPU grain can take work.</summary>
[GenerateSerializer]
[Alias("sana.GpuHealth")]
public enum GpuHealth
{
    Loading = 0,
    Ready = 1,

    /// <summary>The model failed to load or the device fails; see <see cref="GpuWorkerStatus.Error"/>.</summary>
    Unhealthy = 2,
}

/// <summary>
/// A GPU grain's state for dashboards, `sana workers` and schedulers. <see cref="ActivatedOn"/> is the name of the silo
/// the activation actually runs on (always <see cref="SiloName"/>: placement guarantees it, tests check it).
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.GpuWorkerStatus")]
public sealed record GpuWorkerStatus(
    [property: Id(0)] string GpuId,
    [property: Id(1)] string SiloName,
    [property: Id(2)] string Device,
    [property: Id(3)] string ModelName,
    [property: Id(4)] int Capacity,
    [property: Id(5)] int Queued,
    [property: Id(6)] bool Busy,
    [property: Id(7)] double ImagesPerSecond,
    [property: Id(8)] long ImagesDone,
    [property: Id(9)] long ProcessMemoryBytes,
    [property: Id(10)] GpuHealth Health,
    [property: Id(11)] string? Error,
    [property: Id(12)] string ActivatedOn)
{
    /// <summary>Fraction of the last minute (or of its life, when younger) the worker spent running chunks, 0..1.</summary>
    [Id(13)] public double BusyFraction { get; init; }

    /// <summary>
    /// Device memory in use: the GPU's as nvidia-smi last reported it, or this process's for a CPU worker; -1 when unknown.
    /// </summary>
    [Id(14)] public long DeviceMemoryUsedBytes { get; init; } = -1;

    /// <summary>Device memory free (GPU), or memory available to this process (CPU worker); -1 when unknown.</summary>
    [Id(15)] public long DeviceMemoryFreeBytes { get; init; } = -1;

    /// <summary>The side in pixels the loaded model was trained at (a request's default size); 0 before it loads.</summary>
    [Id(16)] public int NativeSize { get; init; }
}
