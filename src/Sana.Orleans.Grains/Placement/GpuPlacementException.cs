using Orleans.Placement;

namespace Sana.Orleans.Grains.Placement;

/// <summary>A GPU grain cannot be activated: its silo is not active, or it has no such device.</summary>
[GenerateSerializer]
[Alias("sana.GpuPlacementException")]
public sealed class GpuPlacementException : Exception
{
    public GpuPlacementException() { }

    public GpuPlacementException(string message) : base(message) { }

    public GpuPlacementException(string message, Exception innerException) : base(message, innerException) { }
}
