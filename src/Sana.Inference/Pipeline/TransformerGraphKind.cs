using Sana.Inference.Model;
using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

/// <summary>A model folder's two transformer graphs: standard ONNX, or our kernels between the GEMMs.</summary>
public enum TransformerGraphKind
{
    Portable,
    Kernels,
}
