using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Gpus;

/// <summary>
/// Turns configuration plus what was discovered into this silo's workers. Pure, so the policy (explicit devices win,
/// then discovered GPUs, then CPU workers; micro-batch from free memory) is tested without a GPU.
/// </summary>
public static class WorkerPlan
{
    /// <param name="options">Devices, CPU workers, micro-batch settings.</param>
    /// <param name="discovered">What nvidia-smi reported.</param>
    /// <param name="modelFolder">The local model folder, when <see cref="WorkerOptions.ModelPath"/> is not one (a blob URL, downloaded).</param>
    public static IReadOnlyList<GpuWorkerConfig> Build(WorkerOptions options, IReadOnlyList<DiscoveredGpu> discovered, string? modelFolder = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(discovered);
        var modelPath = Path.GetFullPath(modelFolder ?? options.ModelPath);
        var workers = new List<GpuWorkerConfig>();
        if (options.Devices.Count > 0)
        {
            foreach (var text in options.Devices)
            {
                var device = ExecutionDevice.Parse(text);
                var gpu = device.Kind == ExecutionProviderKind.Cuda ? discovered.FirstOrDefault(g => g.Index == device.DeviceId) : null;
                workers.Add(Worker(options, workers.Count, device, modelPath, gpu));
            }
        }
        else if (discovered.Count > 0)
        {
            foreach (var gpu in discovered.OrderBy(g => g.Index))
            {
                workers.Add(Worker(options, workers.Count, ExecutionDevice.Cuda(gpu.Index), modelPath, gpu));
            }
        }
        else
        {
            for (var i = 0; i < options.CpuWorkers; i++)
            {
                workers.Add(Worker(options, i, ExecutionDevice.Cpu, modelPath, null));
            }
        }

        return workers;
    }

    /// <summary>Configured micro-batch, else free memory / per-image budget within [1, max] on a GPU, 1 on the CPU.</summary>
    public static int MicroBatchFor(WorkerOptions options, ExecutionDevice device, DiscoveredGpu? gpu)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MicroBatch > 0)
        {
            return options.MicroBatch;
        }

        if (device.Kind == ExecutionProviderKind.Cpu || gpu is null)
        {
            return 1;
        }

        return (int)Math.Clamp(gpu.MemoryFreeMiB / options.MemoryPerImageMiB, 1, options.MaxMicroBatch);
    }

    private static GpuWorkerConfig Worker(WorkerOptions options, int index, ExecutionDevice device, string modelPath, DiscoveredGpu? gpu) =>
        new(index, device.ToString(), modelPath, MicroBatchFor(options, device, gpu))
        {
            IntraOpThreads = device.Kind == ExecutionProviderKind.Cpu ? options.CpuIntraOpThreads : 0,
            CudaProviderOptions = device.Kind == ExecutionProviderKind.Cuda
                ? new Dictionary<string, string>(options.CudaProviderOptions, StringComparer.Ordinal)
                : new Dictionary<string, string>(),
            TransformerGraph = options.TransformerGraph,
            KernelLibraryPath = options.KernelLibraryPath.Length > 0 ? options.KernelLibraryPath : null,
            CudaGraphs = options.CudaGraphs && device.Kind == ExecutionProviderKind.Cuda,
        };
}
