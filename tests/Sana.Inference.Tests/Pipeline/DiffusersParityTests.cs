using Sana.Inference.Imaging;
using Sana.Inference.Pipeline;
using Sana.Inference.Tests.Fixtures;
using Xunit.Abstractions;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>The reference cases every parity test class runs.</summary>
public static class ParityCases
{
    public static TheoryData<string> Cases => new(ReferenceCase.Names);
}

/// <summary>The portable transformer graph (standard ONNX) against diffusers.</summary>
public sealed class PortableGraphParityTests(TinySanaPipelineFixture fixture, ITestOutputHelper output)
    : DiffusersParityTests<TinySanaPipelineFixture>(fixture, output), IClassFixture<TinySanaPipelineFixture>;

/// <summary>
/// Our pipeline against what diffusers' SanaPipeline / SanaPAGPipeline produced from the same tiny model, prompts
/// and seeds (tests/fixtures/tiny-sana/reference, recorded in float32 on the CPU), for one transformer graph (the
/// fixture's). Tolerances: final images within a mean absolute difference of 0.02 and a maximum of 1 on the 0..255
/// scale (last-bit rounding of a few pixels); latents within 1e-4 absolute.
/// </summary>
public abstract class DiffusersParityTests<TFixture>(TFixture fixture, ITestOutputHelper output)
    where TFixture : ITinyPipelineFixture
{
    /// <summary>The pipeline under test, for the cases a derived class adds.</summary>
    protected SanaPipeline Pipeline => fixture.Pipeline;

    private const double MaxMeanPixelDiff = 0.02;
    private const int MaxPixelDiff = 1;
    private const float MaxLatentDiff = 1e-4f;

    [Theory]
    [MemberData(nameof(ParityCases.Cases), MemberType = typeof(ParityCases))]
    public void Images_match_diffusers(string name)
    {
        var c = ReferenceCase.Get(name);
        var images = fixture.Pipeline.Generate(c.Settings, Seeds(c), microBatchSize: 2, progress: null, CancellationToken.None);
        var pngs = c.ImagePngs.ToArray();
        Assert.Equal(pngs.Length, images.Count);
        long sum = 0, count = 0;
        var max = 0;
        for (var i = 0; i < images.Count; i++)
        {
            var (w, h, expected) = ImageEncoder.DecodeRgb(File.ReadAllBytes(pngs[i]));
            Assert.Equal((c.Settings.Width, c.Settings.Height), (w, h));
            for (var k = 0; k < expected.Length; k++)
            {
                var d = Math.Abs(expected[k] - images[i].Rgb[k]);
                sum += d;
                max = Math.Max(max, d);
            }

            count += expected.Length;
        }

        var mean = (double)sum / count;
        output.WriteLine($"{name}: mean |diff| {mean:E3} of 255, max {max}, over {count} values");
        Assert.True(mean <= MaxMeanPixelDiff, $"mean pixel difference {mean} > {MaxMeanPixelDiff}");
        Assert.True(max <= MaxPixelDiff, $"max pixel difference {max} > {MaxPixelDiff}");
    }

    [Theory]
    [MemberData(nameof(ParityCases.Cases), MemberType = typeof(ParityCases))]
    public void Final_latents_match_diffusers(string name)
    {
        var c = ReferenceCase.Get(name);
        var expected = NpyReader.Read(c.File("final_latents")).AsSingle();
        float[]? last = null;
        var perImage = expected.Length / c.Seeds.Length;
        var collected = new float[expected.Length];
        var offset = 0;
        fixture.Pipeline.StepObserver = (step, latents) => last = latents;
        try
        {
            foreach (var seed in Seeds(c))
            {
                fixture.Pipeline.Generate(c.Settings, [seed], microBatchSize: 1, progress: null, CancellationToken.None);
                last!.CopyTo(collected, offset);
                offset += perImage;
            }
        }
        finally
        {
            fixture.Pipeline.StepObserver = null;
        }

        var diff = MaxAbsDiff(expected, collected);
        output.WriteLine($"{name}: final latents max |diff| {diff:E3}");
        Assert.True(diff <= MaxLatentDiff, $"final latents differ by {diff}");
    }

    [Fact]
    public void Every_step_tracks_diffusers_latents()
    {
        var c = ReferenceCase.Get("sana_dpm_cfg_20steps");
        var perStep = NpyReader.Read(c.File("latents_per_step"));
        var expected = perStep.AsSingle();
        var stepSize = expected.Length / perStep.Shape[0];
        var worst = 0f;
        fixture.Pipeline.StepObserver = (step, latents) => worst = Math.Max(worst, MaxAbsDiff(expected.AsSpan(step * stepSize, stepSize), latents));
        try
        {
            fixture.Pipeline.Generate(c.Settings, Seeds(c), microBatchSize: c.Seeds.Length, progress: null, CancellationToken.None);
        }
        finally
        {
            fixture.Pipeline.StepObserver = null;
        }

        output.WriteLine($"per-step latents max |diff| {worst:E3} over {perStep.Shape[0]} steps");
        Assert.True(worst <= MaxLatentDiff, $"a step's latents differ by {worst}");
    }

    [Fact]
    public void Prompt_and_negative_embeddings_match_diffusers()
    {
        var c = ReferenceCase.Get("sana_dpm_cfg_20steps");
        var cond = fixture.Pipeline.Prompts.Encode(c.Settings.Prompt, negative: false, CancellationToken.None);
        var uncond = fixture.Pipeline.Prompts.Encode(c.Settings.NegativePrompt, negative: true, CancellationToken.None);
        Assert.True(MaxAbsDiff(NpyReader.Read(c.File("prompt_embeds")).AsSingle(), cond.Embeds) <= 1e-5f);
        Assert.True(MaxAbsDiff(NpyReader.Read(c.File("negative_prompt_embeds")).AsSingle(), uncond.Embeds) <= 1e-5f);
        Assert.Equal(NpyReader.Read(c.File("prompt_attention_mask")).AsInt64(), cond.Mask);
        Assert.Equal(NpyReader.Read(c.File("negative_prompt_attention_mask")).AsInt64(), uncond.Mask);
    }

    [Fact]
    public void Initial_noise_is_torch_randn_of_each_images_seed()
    {
        var c = ReferenceCase.Get("sana_dpm_cfg_20steps");
        var expected = NpyReader.Read(c.File("initial_noise")).AsSingle();
        var perImage = expected.Length / c.Seeds.Length;
        for (var i = 0; i < c.Seeds.Length; i++)
        {
            var noise = new float[perImage];
            Sana.Inference.Noise.LatentNoise.Fill(c.Seeds[i], noise);
            Assert.Equal(expected.AsSpan(i * perImage, perImage).ToArray(), noise);
        }
    }

    private static ImageSeed[] Seeds(ReferenceCase c) => c.Seeds.Select((s, i) => new ImageSeed(i, s)).ToArray();

    private static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        var max = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
