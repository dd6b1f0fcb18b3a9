using Orleans.Placement;

namespace Sana.Orleans.Grains.Placement;

/// <summary>
/// Places a grain keyed "{siloName}/gpu{n}" on the silo named in its key and nowhere else: a GPU grain owns a device
/// of one machine, so activating it anywhere else would be wrong, not merely slow.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.GpuPlacement")]
public sealed class GpuPlacement : PlacementStrategy
{
    internal static GpuPlacement Singleton { get; } = new();
}
