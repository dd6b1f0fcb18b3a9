using Sana.Inference.Pipeline;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>
/// IImagePipeline's promise: an image depends on its seed, never on the micro-batch it was made in. These tests hold
/// the CPU pipeline to it bit for bit (decoded RGB bytes, hence PNG bytes, and the final latents) over many seeds.
/// </summary>
public sealed class BatchIndependenceTests(TinySanaPipelineFixture fixture) : IClassFixture<TinySanaPipelineFixture>
{
    /// <summary>The request of SanaPipelineBehaviourTests: CFG and PAG, so the transformer runs 3 rows per image.</summary>
    private static readonly GenerationSettings Guided = new()
    {
        Prompt = "a lighthouse at dusk", NegativePrompt = "blurry", Width = 32, Height = 64, Steps = 3, GuidanceScale = 4.5, PagScale = 2, PagLayers = [1],
    };

    /// <summary>No guidance: one transformer row per image, so a micro-batch of 1 runs every graph at batch 1.</summary>
    private static readonly GenerationSettings Unguided = Guided with { GuidanceScale = 1, PagScale = 0, PagLayers = [] };

    public static TheoryData<string> Requests => new() { nameof(Guided), nameof(Unguided) };

    private static GenerationSettings Request(string name) => name == nameof(Guided) ? Guided : Unguided;

    /// <summary>
    /// The smallest cases: one image alone against the same image beside its neighbour in a micro-batch of 2 (job seed
    /// 77, images 9 and 20). Image 9 (seed 86) failed on this repository's 2-core test machine (one pixel byte off by
    /// one, from the DC-AE decoder run at batch 2); image 20 (seed 97) is the case first reported, on another machine.
    /// </summary>
    [Theory]
    [InlineData(9, 86UL)]
    [InlineData(20, 97UL)]
    public void An_image_alone_and_in_a_micro_batch_of_two_has_the_same_bytes(int index, ulong seed)
    {
        var alone = fixture.Pipeline.Generate(Guided, [new ImageSeed(index, seed)], microBatchSize: 1, null, CancellationToken.None);
        var pair = fixture.Pipeline.Generate(
            Guided, [new ImageSeed(index - 1, seed - 1), new ImageSeed(index, seed)], microBatchSize: 2, null, CancellationToken.None);
        Assert.Equal(alone[0].Rgb, pair[1].Rgb);
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void Every_image_of_64_seeds_is_the_same_at_micro_batch_sizes_1_to_4(string request)
    {
        var settings = Request(request) with { Steps = 2 };
        var seeds = Enumerable.Range(0, 64).Select(i => new ImageSeed(i, (ulong)i)).ToArray();
        var (reference, referenceLatents) = Generate(settings, seeds, 1);
        var mismatches = new List<string>();
        foreach (var batch in new[] { 2, 3, 4 })
        {
            var (images, latents) = Generate(settings, seeds, batch);
            for (var i = 0; i < seeds.Length; i++)
            {
                Assert.Equal(seeds[i].Index, images[i].Index);
                var bytes = CountDifferent(reference[i].Rgb, images[i].Rgb);
                var floats = CountDifferent(referenceLatents[i], latents[i]);
                if (bytes > 0 || floats > 0)
                {
                    mismatches.Add($"seed {seeds[i].Seed} at micro-batch {batch}: {bytes} pixel bytes, {floats} latent values differ");
                }
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} images depend on their micro-batch:\n{string.Join("\n", mismatches)}");
    }

    /// <summary>Images and each image's final latents (what the decoder received), in seed order.</summary>
    private (IReadOnlyList<GeneratedImage> Images, List<float[]> Latents) Generate(GenerationSettings settings, ImageSeed[] seeds, int microBatch)
    {
        var perImage = fixture.Pipeline.Model.LatentChannels * (settings.Height / fixture.Pipeline.Model.PixelFactor) * (settings.Width / fixture.Pipeline.Model.PixelFactor);
        var latents = new List<float[]>();
        fixture.Pipeline.StepObserver = (step, current) =>
        {
            if (step == settings.Steps - 1)
            {
                for (var offset = 0; offset < current.Length; offset += perImage)
                {
                    latents.Add(current.AsSpan(offset, perImage).ToArray());
                }
            }
        };
        try
        {
            var images = fixture.Pipeline.Generate(settings, seeds, microBatch, null, CancellationToken.None);
            Assert.Equal(seeds.Length, latents.Count);
            return (images, latents);
        }
        finally
        {
            fixture.Pipeline.StepObserver = null;
        }
    }

    private static int CountDifferent<T>(T[] a, T[] b)
        where T : IEquatable<T>
    {
        Assert.Equal(a.Length, b.Length);
        var n = 0;
        for (var i = 0; i < a.Length; i++)
        {
            if (!a[i].Equals(b[i]))
            {
                n++;
            }
        }

        return n;
    }
}
