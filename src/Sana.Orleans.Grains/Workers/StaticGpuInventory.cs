using Sana.Inference.Pipeline;

namespace Sana.Orleans.Grains.Workers;

/// <summary>A fixed inventory, e.g. bound from configuration or built by tests.</summary>
public sealed class StaticGpuInventory(IEnumerable<GpuWorkerConfig> workers) : IGpuInventory
{
    public IReadOnlyList<GpuWorkerConfig> Workers { get; } = [.. workers];
}
