namespace Sana.Orleans.Gpus;

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
