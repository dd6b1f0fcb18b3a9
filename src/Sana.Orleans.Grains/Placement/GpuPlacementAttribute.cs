using Orleans.Placement;

namespace Sana.Orleans.Grains.Placement;

/// <summary>Marks a grain class for <see cref="GpuPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class GpuPlacementAttribute() : PlacementAttribute(GpuPlacement.Singleton);
