using System.Collections.Concurrent;

namespace Sana.Orleans.Grains.Telemetry;

/// <summary>One local worker's load at the moment a metrics collector asks (memory -1 when unknown).</summary>
public readonly record struct GpuLoad(
    string GpuId,
    string Silo,
    string Device,
    int Queued,
    bool Busy,
    double BusyFraction,
    double ImagesPerSecond,
    long MemoryUsedBytes,
    long MemoryFreeBytes);

/// <summary>
/// The GPU grains active on this silo, each with a way to read its load. Grains add themselves on activation and leave
/// on deactivation; the observable gauges of <see cref="SanaMetrics"/> read it when a collector scrapes.
/// </summary>
public sealed class LocalGpuLoads
{
    private readonly ConcurrentDictionary<string, Func<GpuLoad>> _workers = new(StringComparer.Ordinal);

    public void Add(string gpuId, Func<GpuLoad> read) => _workers[gpuId] = read;

    public void Remove(string gpuId) => _workers.TryRemove(gpuId, out _);

    /// <summary>Every local worker's load now, ordered by GPU id.</summary>
    public IReadOnlyList<GpuLoad> Read() => [.. _workers.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => w.Value())];
}
