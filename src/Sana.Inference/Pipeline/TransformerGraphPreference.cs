using Sana.Inference.Model;
using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

/// <summary>
/// Which transformer graph to run: Auto takes the kernels graph on CUDA when the folder has one and the kernel library
/// with CUDA ops is loaded, the portable graph otherwise; Portable and Kernels insist (Kernels on the CPU runs the
/// library's CPU ops, for tests and comparisons).
/// </summary>
public enum TransformerGraphPreference
{
    Auto,
    Portable,
    Kernels,
}
