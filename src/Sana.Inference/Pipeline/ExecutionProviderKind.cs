using System.Globalization;

namespace Sana.Inference.Pipeline;

/// <summary>Which ONNX Runtime execution provider a pipeline's sessions run on.</summary>
public enum ExecutionProviderKind
{
    Cpu,
    Cuda,
}
