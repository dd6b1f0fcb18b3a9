using Sana.Inference.Onnx;
using Sana.Inference.Pipeline;

namespace Sana.Inference.Tests.Onnx;

public sealed class CudaProviderSettingsTests
{
    [Fact]
    public void Resolve_starts_from_our_defaults_lets_the_caller_override_and_pins_the_device()
    {
        var caller = CudaProviderSettings.Parse(["prefer_nhwc=0", " cudnn_conv_algo_search = HEURISTIC "], "cuda-option");
        var resolved = CudaProviderSettings.Resolve(3, caller);

        Assert.Equal("0", resolved["prefer_nhwc"]);
        Assert.Equal("HEURISTIC", resolved["cudnn_conv_algo_search"]);
        Assert.Equal("3", resolved["device_id"]);
        var defaults = CudaProviderSettings.Resolve(0, new Dictionary<string, string>());
        Assert.Equal("EXHAUSTIVE", defaults["cudnn_conv_algo_search"]);
        Assert.Equal("1", defaults["prefer_nhwc"]);
        // cuDNN's flash attention (8) on top of ONNX Runtime's default backends: the fused graph's cross-attention
        // takes key lengths, which only cuDNN's fused kernel accepts
        Assert.Equal("127", defaults["sdpa_kernel"]);
    }

    [Theory]
    [InlineData("use_tf32", "cuda-option: 'use_tf32' is not KEY=VALUE")]
    [InlineData("=1", "cuda-option: '=1' is not KEY=VALUE")]
    [InlineData("enable_cuda_graph=1", "cuda-option: 'enable_cuda_graph' is not a CUDA provider option that can be set here")]
    [InlineData("device_id=0", "cuda-option: 'device_id' is not a CUDA provider option that can be set here")]
    public void Parse_names_the_field_and_the_bad_pair(string pair, string expected)
    {
        var e = Assert.Throws<FormatException>(() => CudaProviderSettings.Parse([pair], "cuda-option"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_options_on_a_cpu_pipeline_are_refused_at_load_naming_them()
    {
        var e = Assert.Throws<ExecutionDeviceException>(() => SanaPipeline.Load(
            Path.Combine(Fixtures.FixturePaths.TinySana, "model"),
            new PipelineOptions { Device = ExecutionDevice.Cpu, CudaProviderOptions = new Dictionary<string, string> { ["prefer_nhwc"] = "1" } }));
        Assert.Contains("prefer_nhwc", e.Message, StringComparison.Ordinal);
    }
}
