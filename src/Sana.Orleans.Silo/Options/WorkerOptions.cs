using Sana.Inference.Pipeline;

namespace Sana.Orleans.Silo.Options;

/// <summary>
/// Which workers (GPU grains) this silo runs and with what model (section <see cref="SectionName"/>, model folder at
/// <c>Sana:ModelPath</c>). By default every NVIDIA GPU nvidia-smi reports becomes a worker; a machine without one gets
/// <see cref="CpuWorkers"/> CPU workers, so the whole system runs anywhere.
/// </summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Sana:Workers";
    public const string ModelPathKey = "Sana:ModelPath";

    /// <summary>
    /// The model folder every worker loads. Default: models/tiny-sana next to the executable. May be a blob folder URL
    /// (https://&lt;account&gt;.blob.core.windows.net/&lt;container&gt;/&lt;folder&gt;/, optionally with a SAS query):
    /// the silo then downloads and checks it at start (<see cref="ModelDownloadOptions"/>).
    /// </summary>
    public string ModelPath { get; set; } = System.IO.Path.Combine(AppContext.BaseDirectory, "models", "tiny-sana");

    /// <summary>Explicit devices ("cuda:0", "cpu", ...), one worker each, instead of discovery.</summary>
    public IList<string> Devices { get; } = [];

    /// <summary>Ask nvidia-smi for GPUs when <see cref="Devices"/> is empty.</summary>
    public bool DiscoverGpus { get; set; } = true;

    public string NvidiaSmiPath { get; set; } = "nvidia-smi";

    /// <summary>How often GPU memory is sampled through nvidia-smi for the memory gauges and the GPU page.</summary>
    public TimeSpan MemorySampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>CPU workers when no GPU is configured or found; 0 makes a silo without workers (jobs and directory only).</summary>
    public int CpuWorkers { get; set; } = 1;

    /// <summary>Images per transformer call; 0 sizes it from free device memory (GPUs) or uses 1 (CPU).</summary>
    public int MicroBatch { get; set; }

    /// <summary>Device memory one image of a micro-batch is budgeted, for the automatic size.</summary>
    public int MemoryPerImageMiB { get; set; } = 4096;

    /// <summary>Upper bound of the automatic micro-batch.</summary>
    public int MaxMicroBatch { get; set; } = 16;

    /// <summary>ONNX Runtime intra-op threads of each CPU worker; 0 lets ONNX Runtime choose.</summary>
    public int CpuIntraOpThreads { get; set; }

    /// <summary>
    /// CUDA provider options of every GPU worker on top of ours (Sana.Inference's CudaProviderSettings), e.g.
    /// <c>Sana:Workers:CudaProviderOptions:gpu_mem_limit=68719476736</c> to leave room for another process on the GPU,
    /// or a setting measured first with <c>sana bench --cuda-option</c>. Keys are checked at start against the options
    /// that may be set; CPU workers ignore them.
    /// </summary>
    public IDictionary<string, string> CudaProviderOptions { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Which transformer graph GPU workers run: Auto (the model folder's kernels graph when the kernel library with CUDA
    /// ops loads, else the portable graph, with the reason in the log), Portable or Kernels (a worker that cannot run
    /// it fails to load). CPU workers run the portable graph under Auto.
    /// </summary>
    public TransformerGraphPreference TransformerGraph { get; set; } = TransformerGraphPreference.Auto;

    /// <summary>The kernel library (libsana_kernels.so); empty looks at $SANA_KERNELS_LIBRARY, then beside the executable.</summary>
    public string KernelLibraryPath { get; set; } = "";

    /// <summary>GPU workers run the denoising steps as CUDA graphs, one per micro-batch shape (see the pipeline's CudaGraphs).</summary>
    public bool CudaGraphs { get; set; }
}
