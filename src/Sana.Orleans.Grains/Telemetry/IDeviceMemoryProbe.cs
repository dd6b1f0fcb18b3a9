using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains.Telemetry;

/// <summary>
/// Reads a worker's device memory without blocking (the silo host samples GPUs in the background and answers from its
/// last sample). The default knows only CPU workers: the process's memory.
/// </summary>
public interface IDeviceMemoryProbe
{
    DeviceMemory Read(GpuWorkerConfig worker);
}
