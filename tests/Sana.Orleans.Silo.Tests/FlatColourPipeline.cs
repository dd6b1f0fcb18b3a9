using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// Stands in for the ONNX pipeline in hosting tests: each image is one colour derived from its seed, so tests check
/// wiring (silo, grains, store) in milliseconds without a model.
/// </summary>
public sealed class FlatColourPipeline(string device) : IImagePipeline
{
    public ModelDescription Model { get; } = new("flat-colour", 4, 32, 2, device);

    public IReadOnlyList<GeneratedImage> Generate(
        GenerationSettings settings,
        IReadOnlyList<ImageSeed> seeds,
        int microBatchSize,
        IProgress<PipelineProgress>? progress,
        CancellationToken cancellationToken) =>
        [.. seeds.Select(s =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rgb = new byte[settings.Width * settings.Height * 3];
            Array.Fill(rgb, (byte)(s.Seed % 251));
            return new GeneratedImage(s.Index, s.Seed, settings.Width, settings.Height, rgb);
        })];

    public void Dispose()
    {
    }

    public sealed class Factory : IImagePipelineFactory
    {
        public IImagePipeline Create(GpuWorkerConfig config) => new FlatColourPipeline(config.Device);
    }
}
