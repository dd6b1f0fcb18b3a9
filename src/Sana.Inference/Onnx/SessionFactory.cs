using Microsoft.ML.OnnxRuntime;
using Sana.Inference.Pipeline;

namespace Sana.Inference.Onnx;

/// <summary>Builds ONNX Runtime session options for a device; the one place that knows about providers.</summary>
internal static class SessionFactory
{
    private static readonly Lazy<OrtEnv> Environment = new(CreateEnvironment);

    private static OrtEnv CreateEnvironment()
    {
        // ONNX Runtime would print its own errors to stderr in colour; we turn every failure into one exception
        // naming the file or device instead, so its logger speaks only on fatal errors.
        var options = new EnvironmentCreationOptions { logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, logId = "sana" };
        return OrtEnv.CreateInstanceWithOptions(ref options);
    }

    /// <summary>
    /// Session options for the device; <paramref name="cudaGraph"/> adds ONNX Runtime's CUDA graph capture (for the
    /// transformer alone: a captured session must be run on device buffers only).
    /// </summary>
    public static SessionOptions CreateOptions(PipelineOptions options, bool cudaGraph = false)
    {
        _ = Environment.Value;
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (options.IntraOpThreads > 0)
        {
            so.IntraOpNumThreads = options.IntraOpThreads;
        }

        if (options.ProfilePrefix is { } prefix)
        {
            // The prefix first: setting EnableProfiling starts the trace with the prefix set at that moment.
            so.ProfileOutputPathPrefix = prefix;
            so.EnableProfiling = true;
        }

        if (options.Device.Kind != ExecutionProviderKind.Cuda && options.CudaProviderOptions.Count > 0)
        {
            so.Dispose();
            throw new ExecutionDeviceException(
                $"device {options.Device}: CUDA provider options ({string.Join(", ", options.CudaProviderOptions.Keys)}) need a CUDA device");
        }

        if (options.Device.Kind == ExecutionProviderKind.Cuda)
        {
            try
            {
                CudaProviderSettings.Validate(options.CudaProviderOptions, "cuda provider options");
                using var cuda = new OrtCUDAProviderOptions();
                var resolved = CudaProviderSettings.Resolve(options.Device.DeviceId, options.CudaProviderOptions);
                if (cudaGraph)
                {
                    resolved["enable_cuda_graph"] = "1";
                }

                cuda.UpdateOptions(resolved);
                so.AppendExecutionProvider_CUDA(cuda);
            }
            catch (FormatException e)
            {
                so.Dispose();
                throw new ExecutionDeviceException($"device {options.Device}: {e.Message}", e);
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                so.Dispose();
                // ONNX Runtime's message spans several lines; one line reads better in logs and CLI errors.
                var reason = string.Join(' ', e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                throw new ExecutionDeviceException(
                    $"device {options.Device}: ONNX Runtime's CUDA execution provider cannot be used on this machine ({reason}; it needs an NVIDIA driver, CUDA 13 and cuDNN 9 libraries on LD_LIBRARY_PATH)", e);
            }
        }

        return so;
    }
}
