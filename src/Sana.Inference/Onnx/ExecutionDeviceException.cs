namespace Sana.Inference.Onnx;

/// <summary>
/// The requested execution device cannot be used here (no CUDA provider library, no such GPU). Raised at load
/// time: a CUDA request never falls back to the CPU silently.
/// </summary>
public sealed class ExecutionDeviceException : Exception
{
    public ExecutionDeviceException() { }

    public ExecutionDeviceException(string message) : base(message) { }

    public ExecutionDeviceException(string message, Exception innerException) : base(message, innerException) { }
}
