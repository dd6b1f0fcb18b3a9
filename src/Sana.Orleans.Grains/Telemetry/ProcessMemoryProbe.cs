using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains.Telemetry;

/// <summary>CPU workers: this process's working set and the memory the GC may still use; GPUs: unknown.</summary>
public sealed class ProcessMemoryProbe : IDeviceMemoryProbe
{
    public DeviceMemory Read(GpuWorkerConfig worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        return ExecutionDevice.Parse(worker.Device).Kind == ExecutionProviderKind.Cpu ? ForProcess() : DeviceMemory.Unknown;
    }

    public static DeviceMemory ForProcess()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var used = process.WorkingSet64;
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return new DeviceMemory(used, Math.Max(0, available - used));
    }
}
