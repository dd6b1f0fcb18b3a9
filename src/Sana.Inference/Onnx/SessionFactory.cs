using Microsoft.ML.OnnxRuntime;
using Sana.Inference.Pipeline;

namespace Sana.Inference.Onnx;

/// <summary>Builds ONNX Runtime session options for a device; the one place that knows about providers.</summary>
internal static class SessionFactory
{
    public static SessionOptions CreateOptions(PipelineOptions options)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (options.IntraOpThreads > 0)
        {
            so.IntraOpNumThreads = options.IntraOpThreads;
        }

        if (options.Device.Kind == ExecutionProviderKind.Cuda)
        {
            try
            {
                so.AppendExecutionProvider_CUDA(options.Device.DeviceId);
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                so.Dispose();
                throw new ExecutionDeviceException(
                    $"device {options.Device}: ONNX Runtime's CUDA execution provider cannot be used on this machine ({e.Message.Trim()})", e);
            }
        }

        return so;
    }
}
