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

/// <summary>Marks a grain class for <see cref="GpuPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class GpuPlacementAttribute() : PlacementAttribute(GpuPlacement.Singleton);

/// <summary>A GPU grain cannot be activated: its silo is not active, or it has no such device.</summary>
[GenerateSerializer]
[Alias("sana.GpuPlacementException")]
public sealed class GpuPlacementException : Exception
{
    public GpuPlacementException() { }

    public GpuPlacementException(string message) : base(message) { }

    public GpuPlacementException(string message, Exception innerException) : base(message, innerException) { }
}
