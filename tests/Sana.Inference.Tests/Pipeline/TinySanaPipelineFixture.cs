using Sana.Inference.Pipeline;
using Sana.Inference.Tests.Fixtures;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>A CPU pipeline over the committed tiny model, shared by the tests of a class (loading takes a moment).</summary>
public interface ITinyPipelineFixture : IDisposable
{
    internal SanaPipeline Pipeline { get; }
}

/// <summary>The tiny model as a CPU worker loads it: the portable transformer graph.</summary>
public sealed class TinySanaPipelineFixture : ITinyPipelineFixture
{
    public TinySanaPipelineFixture() =>
        Pipeline = SanaPipeline.Load(Path.Combine(FixturePaths.TinySana, "model"), new PipelineOptions());

    public SanaPipeline Pipeline { get; }

    public void Dispose() => Pipeline.Dispose();
}

/// <summary>The tiny model with its kernels graph, run by the kernel library's CPU ops (built beside the tests).</summary>
public sealed class TinyKernelsPipelineFixture : ITinyPipelineFixture
{
    public TinyKernelsPipelineFixture() =>
        Pipeline = SanaPipeline.Load(Path.Combine(FixturePaths.TinySana, "model"), new PipelineOptions
        {
            TransformerGraph = TransformerGraphPreference.Kernels,
            KernelLibraryPath = Path.Combine(AppContext.BaseDirectory, "libsana_kernels.so"),
        });

    public SanaPipeline Pipeline { get; }

    public void Dispose() => Pipeline.Dispose();
}
