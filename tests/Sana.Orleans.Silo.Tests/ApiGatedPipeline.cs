using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// The flat-colour pipeline with a gate: a job whose prompt is <see cref="GatedPrompt"/> holds its GPU until the test
/// opens the gate or the chunk is cancelled, so the API tests catch a job running on purpose (cancel, a full queue, a
/// client that leaves) instead of racing it. Other prompts, and the workers' warm-up, pass at once. Unlike the plain
/// flat-colour model it reports a native size, for the API's default size.
/// </summary>
public sealed class ApiGatedPipeline(string device, ApiGatedPipeline.Gate gate) : IImagePipeline
{
    public const string GatedPrompt = "gated";

    /// <summary>The side this model says it was trained at, which a request without a size takes.</summary>
    public const int NativeSize = 96;

    private readonly FlatColourPipeline _inner = new(device);

    public ModelDescription Model => _inner.Model with { NativeSize = NativeSize };

    public IReadOnlyList<GeneratedImage> Generate(
        GenerationSettings settings,
        IReadOnlyList<ImageSeed> seeds,
        int microBatchSize,
        IProgress<PipelineProgress>? progress,
        CancellationToken cancellationToken)
    {
        if (settings.Prompt == GatedPrompt)
        {
            gate.Opened.Task.Wait(cancellationToken);
        }

        return _inner.Generate(settings, seeds, microBatchSize, progress, cancellationToken);
    }

    public void Dispose() => _inner.Dispose();

    /// <summary>Shut until <see cref="Opened"/> is set.</summary>
    public sealed class Gate
    {
        public TaskCompletionSource Opened { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public sealed class Factory(Gate gate) : IImagePipelineFactory
    {
        public IImagePipeline Create(GpuWorkerConfig config) => new ApiGatedPipeline(config.Device, gate);
    }
}
