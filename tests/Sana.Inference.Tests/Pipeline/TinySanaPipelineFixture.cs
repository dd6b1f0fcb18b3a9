using Sana.Inference.Pipeline;
using Sana.Inference.Tests.Fixtures;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>One CPU pipeline over the committed tiny model, shared by the tests of a class (loading takes a moment).</summary>
public sealed class TinySanaPipelineFixture : IDisposable
{
    public TinySanaPipelineFixture() =>
        Pipeline = SanaPipeline.Load(Path.Combine(FixturePaths.TinySana, "model"), new PipelineOptions());

    internal SanaPipeline Pipeline { get; }

    public void Dispose() => Pipeline.Dispose();
}
