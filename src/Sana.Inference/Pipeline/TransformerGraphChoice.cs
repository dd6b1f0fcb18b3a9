using Sana.Inference.Model;
using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

/// <summary>
/// The transformer graph a pipeline opened, and why, in one line (workers log it; `sana bench` prints it).
/// <paramref name="CudaGraphs"/>: "off", "on", or why they were asked for and are not used.
/// </summary>
public sealed record TransformerGraphChoice(TransformerGraphKind Kind, string Path, string Reason, string CudaGraphs = "off")
{
    public override string ToString() =>
        $"{(Kind == TransformerGraphKind.Kernels ? "kernels" : "portable")} graph: {Reason}; CUDA graphs {CudaGraphs}";
}
