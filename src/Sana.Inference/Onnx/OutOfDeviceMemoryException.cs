using Microsoft.ML.OnnxRuntime;

namespace Sana.Inference.Onnx;

/// <summary>
/// A graph run failed for lack of device memory. Callers that own a micro-batch size (the GPU worker) catch this,
/// halve the batch and retry instead of failing the work.
/// </summary>
public sealed class OutOfDeviceMemoryException : Exception
{
    public OutOfDeviceMemoryException() { }

    public OutOfDeviceMemoryException(string message) : base(message) { }

    public OutOfDeviceMemoryException(string message, Exception innerException) : base(message, innerException) { }

    internal static bool IsOutOfMemory(OnnxRuntimeException e) =>
        e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("Failed to allocate memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("CUDNN_STATUS_ALLOC_FAILED", StringComparison.Ordinal)
        || e.Message.Contains("bad_alloc", StringComparison.OrdinalIgnoreCase);
}
