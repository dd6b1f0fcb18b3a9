using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains.Telemetry;

/// <summary>Device memory of a worker, in bytes; -1 where unknown.</summary>
public readonly record struct DeviceMemory(long UsedBytes, long FreeBytes)
{
    public static readonly DeviceMemory Unknown = new(-1, -1);
}
