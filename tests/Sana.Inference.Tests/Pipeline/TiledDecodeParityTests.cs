using System.Text.Json;
using Sana.Inference.Pipeline;
using Sana.Inference.Tests.Fixtures;
using Xunit.Abstractions;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>
/// Our tiled DC-AE decode against diffusers' AutoencoderDC with vae.enable_tiling() on the tiny model
/// (reference/tiled, recorded by tools/export/make_tiled_decode_reference.py in float32 on the CPU, with tiles scaled
/// down to 32 pixels every 24). The decoder itself differs from PyTorch by ~1e-6 (the manifest's checks); blending
/// is a convex combination, so the tiled images may differ by no more than the whole ones: 1e-4 absolute on samples
/// in [-1, 1]-ish, the tolerance of the latents in <see cref="DiffusersParityTests"/>.
/// </summary>
public sealed class TiledDecodeParityTests(TinyModelFixture fixture, ITestOutputHelper output) : IClassFixture<TinyModelFixture>
{
    private const float MaxSampleDiff = 1e-4f;

    private static readonly Lazy<JsonElement> Reference = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(FixturePaths.RequireReference(Path.Combine("tiled", "tiled.json"))));
        return doc.RootElement.Clone();
    });

    /// <summary>Every case the reference script recorded (tools/export/make_tiled_decode_reference.py).</summary>
    public static TheoryData<string> Cases
    {
        get
        {
            var cases = new TheoryData<string>();
            foreach (var c in Reference.Value.GetProperty("cases").EnumerateArray())
            {
                cases.Add(c.GetProperty("name").GetString()!);
            }

            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tiled_decode_matches_diffusers(string name)
    {
        var c = Case(name);
        var latent = Read(c, "latent");
        var expected = Read(c, "sample");
        var (height, width) = SampleSize(c);
        var t = Reference.Value.GetProperty("tiling");
        var tiling = new DecodeTiling
        {
            TileSize = t.GetProperty("tile_sample_min_height").GetInt32(),
            TileStride = t.GetProperty("tile_sample_stride_height").GetInt32(),
            MaxWholePixels = 0,
        };
        Assert.Equal(tiling.TileSize, t.GetProperty("tile_sample_min_width").GetInt32());
        Assert.Equal(tiling.TileStride, t.GetProperty("tile_sample_stride_width").GetInt32());
        Assert.True(tiling.UsesTiles(width, height), "the case must be larger than one tile");

        var sample = fixture.Decoder(tiling).DecodeSample(latent, width, height, CancellationToken.None);
        var diff = MaxAbsDiff(expected, sample);
        var seams = MaxAbsDiff(expected, Read(c, "sample_whole"));
        output.WriteLine($"{name}: {height}x{width}, max |ours - diffusers| {diff:E3}; diffusers' tiled vs whole differ by {seams:E3}");
        Assert.True(diff <= MaxSampleDiff, $"tiled sample differs from diffusers' by {diff}");
        Assert.True(seams > 10 * MaxSampleDiff, $"diffusers' tiled and whole decodes differ by only {seams}: the case does not show tiling");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Whole_decode_of_the_same_latent_matches_diffusers(string name)
    {
        var c = Case(name);
        var (height, width) = SampleSize(c);
        var sample = fixture.Decoder(new DecodeTiling()).DecodeSample(Read(c, "latent"), width, height, CancellationToken.None);
        var diff = MaxAbsDiff(Read(c, "sample_whole"), sample);
        output.WriteLine($"{name}: whole decode max |ours - diffusers| {diff:E3}");
        Assert.True(diff <= MaxSampleDiff, $"whole sample differs from diffusers' by {diff}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tiles_are_the_decoder_calls_diffusers_made(string name)
    {
        var c = Case(name);
        var shape = c.GetProperty("latent_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var t = Reference.Value.GetProperty("tiling");
        var plan = TiledDecode.Plan(shape[2], shape[3], t.GetProperty("tile_latent_min_height").GetInt32(), t.GetProperty("tile_latent_stride_height").GetInt32());
        var ours = plan.SelectMany(row => row.Select(s => $"[1, {shape[1]}, {s.Height}, {s.Width}]")).ToArray();
        var theirs = c.GetProperty("decoder_calls").EnumerateArray()
            .Select(call => $"[{string.Join(", ", call.EnumerateArray().Select(d => d.GetInt32()))}]").ToArray();
        Assert.Equal(theirs, ours);
        Assert.Equal(c.GetProperty("tile_rows").GetInt32(), plan.Length);
        Assert.Equal(c.GetProperty("tile_cols").GetInt32(), plan[0].Length);
    }

    [Fact]
    public void The_reference_vae_is_the_tiny_models()
    {
        var r = Reference.Value;
        Assert.Equal(fixture.Folder.PixelFactor, r.GetProperty("spatial_compression_ratio").GetInt32());
        Assert.Equal(fixture.Folder.LatentChannels, r.GetProperty("latent_channels").GetInt32());
        Assert.Equal((float)fixture.Folder.Manifest.VaeDecoder.ScalingFactor, (float)r.GetProperty("scaling_factor").GetDouble());
    }

    private static JsonElement Case(string name) =>
        Reference.Value.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    private static (int Height, int Width) SampleSize(JsonElement c)
    {
        var s = c.GetProperty("sample_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal([1, 3], s[..2]);
        return (s[2], s[3]);
    }

    private static float[] Read(JsonElement c, string key)
    {
        var array = NpyReader.Read(FixturePaths.RequireReference(Path.Combine("tiled", c.GetProperty("files").GetProperty(key).GetString()!)));
        Assert.Equal(1, array.Shape[0]);
        return array.AsSingle();
    }

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
