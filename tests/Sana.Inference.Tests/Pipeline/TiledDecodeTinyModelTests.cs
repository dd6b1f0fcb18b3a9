using System.Runtime.InteropServices;
using Sana.Inference.Model;
using Sana.Inference.Noise;
using Sana.Inference.Pipeline;
using Sana.Inference.Tests.Fixtures;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>Tiled DC-AE decode (<see cref="LatentDecoder"/> with <see cref="DecodeTiling"/>) on the tiny model's real graph.</summary>
public sealed class TiledDecodeTinyModelTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    // diffusers' 512/448 scaled to the tiny model: 8-latent-pixel tiles every 6 (32 and 24 pixels), 8-pixel overlaps.
    private static readonly DecodeTiling Small = new() { TileSize = 32, TileStride = 24, MaxWholePixels = 0 };

    // 80x56 pixels: 20x14 latent pixels, 4 x 3 tiles (the last row 2, the last column 2 latent pixels).
    private const int Width = 56;
    private const int Height = 80;

    private static float[] Latent() => LatentNoise.ForSeed(2024, 8, Height / 4, Width / 4);

    [Fact]
    public void A_tiled_decode_has_the_image_shape_and_finite_values()
    {
        var sample = fixture.Decoder(Small).DecodeSample(Latent(), Width, Height, CancellationToken.None);
        Assert.Equal(3 * Width * Height, sample.Length);
        Assert.All(sample, v => Assert.True(float.IsFinite(v)));

        var image = Assert.Single(fixture.Decoder(Small).Decode(Latent(), [new ImageSeed(3, 7)], Width, Height, CancellationToken.None));
        Assert.Equal((3, 7UL, Width, Height, 3 * Width * Height), (image.Index, image.Seed, image.Width, image.Height, image.Rgb.Length));
    }

    [Fact]
    public void A_tiled_decode_is_deterministic()
    {
        var first = fixture.Decoder(Small).DecodeSample(Latent(), Width, Height, CancellationToken.None);
        var second = fixture.Decoder(Small).DecodeSample(Latent(), Width, Height, CancellationToken.None);
        Assert.True(MemoryMarshal.AsBytes(first.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(second.AsSpan())));
    }

    [Fact]
    public void At_or_below_the_threshold_the_decode_is_the_whole_one_bit_for_bit()
    {
        var whole = fixture.Decoder(new DecodeTiling()).DecodeSample(Latent(), Width, Height, CancellationToken.None);
        var atThreshold = fixture.Decoder(Small with { MaxWholePixels = Width * Height }).DecodeSample(Latent(), Width, Height, CancellationToken.None);
        Assert.True(MemoryMarshal.AsBytes(whole.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(atThreshold.AsSpan())));

        // One pixel over: tiled, exactly as with no threshold, and no longer the whole decode (the tiles see less context).
        var above = fixture.Decoder(Small with { MaxWholePixels = (Width * Height) - 1 }).DecodeSample(Latent(), Width, Height, CancellationToken.None);
        var tiled = fixture.Decoder(Small).DecodeSample(Latent(), Width, Height, CancellationToken.None);
        Assert.Equal(tiled, above);
        Assert.NotEqual(whole, tiled);
    }

    [Fact]
    public void Loading_a_pipeline_with_tiles_that_do_not_fit_the_model_names_the_field()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            SanaPipeline.Load(TinyModelFixture.ModelPath, new PipelineOptions { DecodeTiling = new DecodeTiling { TileSize = 30, TileStride = 20 } }));
        Assert.StartsWith("DecodeTiling.TileSize: 30 must be a multiple of 4", e.Message, StringComparison.Ordinal);
    }
}
