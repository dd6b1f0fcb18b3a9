using Sana.Inference.Pipeline;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// How one local GPU (or CPU worker) of this silo is set up. <see cref="Index"/> is the n of the grain key
/// "{siloName}/gpu{n}"; <see cref="MicroBatch"/> is the images per transformer call it starts with (out-of-memory
/// halves it at run time).
/// </summary>
public sealed record GpuWorkerConfig(int Index, string Device, string ModelFolder, int MicroBatch)
{
    /// <summary>ONNX Runtime intra-op threads on a CPU worker; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>CUDA provider options on top of ours (a CUDA worker only; checked by the pipeline at load).</summary>
    public IReadOnlyDictionary<string, string> CudaProviderOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>Which transformer graph the worker runs (checked by the pipeline at load).</summary>
    public TransformerGraphPreference TransformerGraph { get; init; } = TransformerGraphPreference.Auto;

    /// <summary>The kernel library to load; null: $SANA_KERNELS_LIBRARY, then beside the application.</summary>
    public string? KernelLibraryPath { get; init; }

    /// <summary>Run the denoising steps as CUDA graphs (a CUDA worker only).</summary>
    public bool CudaGraphs { get; init; }
}
