using System.IO.Hashing;
using System.Text;
using Sana.Inference.Onnx;
using Sana.Inference.Pipeline;

namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>
/// A stand-in pipeline for the chunk executor's unit tests: pixels are a pure function of (settings, seed); it checks the token
/// between "steps" and can fail with out-of-memory above a micro-batch size. Cluster tests never use it: they run the real SanaPipeline.
/// </summary>
public sealed class DeterministicTestPipeline(int pixelFactor = 8, int oomAboveMicroBatch = int.MaxValue) : IImagePipeline
{
    public ModelDescription Model { get; } = new("test-double", 4, pixelFactor, 2, "cpu");

    public List<int> MicroBatchesTried { get; } = [];

    public IReadOnlyList<GeneratedImage> Generate(
        GenerationSettings settings,
        IReadOnlyList<ImageSeed> seeds,
        int microBatchSize,
        IProgress<PipelineProgress>? progress,
        CancellationToken cancellationToken)
    {
        lock (MicroBatchesTried)
        {
            MicroBatchesTried.Add(microBatchSize);
        }

        GenerationLimits.Validate(settings, Model);
        if (microBatchSize > oomAboveMicroBatch && seeds.Count > oomAboveMicroBatch)
        {
            throw new OutOfDeviceMemoryException($"test double: micro-batch {microBatchSize} does not fit");
        }

        var images = new List<GeneratedImage>(seeds.Count);
        foreach (var seed in seeds)
        {
            for (var step = 0; step < settings.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            images.Add(new GeneratedImage(seed.Index, seed.Seed, settings.Width, settings.Height, Pixels(settings, seed.Seed)));
        }

        return images;
    }

    public void Dispose()
    {
    }

    private static byte[] Pixels(GenerationSettings settings, ulong seed)
    {
        var header = Encoding.UTF8.GetBytes($"{settings.Prompt}|{settings.NegativePrompt}|{settings.Width}x{settings.Height}|{settings.Steps}|{settings.GuidanceScale:R}|{seed}");
        var state = XxHash64.HashToUInt64(header) | 1;
        var rgb = new byte[settings.Width * settings.Height * 3];
        for (var i = 0; i < rgb.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            rgb[i] = (byte)state;
        }

        return rgb;
    }
}
