using Xunit.Abstractions;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>
/// The kernels transformer graph (sana.kernels ops between the GEMMs, tests/fixtures/tiny-sana/model/transformer_kernels)
/// against diffusers, through the kernel library's CPU implementations: every parity case of the portable graph.
/// </summary>
public sealed class KernelsGraphParityTests(TinyKernelsPipelineFixture fixture, ITestOutputHelper output)
    : DiffusersParityTests<TinyKernelsPipelineFixture>(fixture, output), IClassFixture<TinyKernelsPipelineFixture>
{
    [Fact]
    public void The_pipeline_runs_the_kernels_graph()
    {
        Assert.Equal(Sana.Inference.Pipeline.TransformerGraphKind.Kernels, Pipeline.TransformerGraph.Kind);
        Assert.EndsWith("transformer_kernels/model.onnx", Pipeline.TransformerGraph.Path, StringComparison.Ordinal);
    }
}
