using System.Globalization;

namespace Sana.Inference.Pipeline;

/// <summary>How a pipeline is loaded.</summary>
public sealed record PipelineOptions
{
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;

    /// <summary>
    /// When the DC-AE decoder works in tiles (diffusers' vae.enable_tiling()) and how large they are; by default only
    /// images above about 2896x2896 pixels, in diffusers' 512-pixel tiles every 448 pixels. Checked at load time
    /// against the model's pixel factor.
    /// </summary>
    public DecodeTiling DecodeTiling { get; init; } = new();

    /// <summary>ONNX Runtime intra-op threads on the CPU provider; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// CUDA execution provider options on top of ours (<see cref="Onnx.CudaProviderSettings"/>), e.g. prefer_nhwc=1: for
    /// measuring a setting before it becomes a default. Checked at load time; only with a CUDA device.
    /// </summary>
    public IReadOnlyDictionary<string, string> CudaProviderOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// When set, ONNX Runtime records every node's time in each session to a JSON trace named from this prefix
    /// (<see cref="SanaPipeline.EndProfiling"/> closes the traces and returns their paths). Costs speed: for finding
    /// where the time goes, not for timing.
    /// </summary>
    public string? ProfilePrefix { get; init; }

    /// <summary>Which transformer graph to run (<see cref="TransformerGraphPreference"/>); Auto by default.</summary>
    public TransformerGraphPreference TransformerGraph { get; init; } = TransformerGraphPreference.Auto;

    /// <summary>
    /// The kernel library (libsana_kernels.so) to load for the kernels graph; null looks at $SANA_KERNELS_LIBRARY, then
    /// beside the application.
    /// </summary>
    public string? KernelLibraryPath { get; init; }

    /// <summary>
    /// Run the denoising steps as CUDA graphs, one per micro-batch shape (ONNX Runtime's capture over device buffers;
    /// needs a CUDA device and the kernel library, whose copies refill the buffers). Where ONNX Runtime refuses to
    /// capture the graph, the transformer runs without (<see cref="TransformerGraphChoice.CudaGraphs"/> says why).
    /// </summary>
    public bool CudaGraphs { get; init; }
}
