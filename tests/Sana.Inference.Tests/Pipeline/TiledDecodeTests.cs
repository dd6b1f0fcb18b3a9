using Sana.Inference.Pipeline;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>
/// The tile geometry and blending of <see cref="TiledDecode"/> (diffusers' AutoencoderDC.tiled_decode) with stand-in
/// decoders, and <see cref="DecodeTiling"/>'s checks and policy; no ONNX here.
/// </summary>
public sealed class TiledDecodeTests
{
    [Theory]
    [InlineData(12, 6, new[] { 0, 6 })]
    [InlineData(13, 6, new[] { 0, 6, 12 })]
    [InlineData(6, 6, new[] { 0 })]
    [InlineData(1, 14, new[] { 0 })]
    [InlineData(29, 14, new[] { 0, 14, 28 })]
    public void Origins_are_pythons_range_from_0_by_the_stride(int length, int stride, int[] expected) =>
        Assert.Equal(expected, TiledDecode.Origins(length, stride));

    [Theory]
    [InlineData(12, 10, 8, 6)]
    [InlineData(16, 11, 8, 6)]
    [InlineData(13, 19, 8, 6)]
    [InlineData(96, 99, 16, 14)]
    [InlineData(5, 3, 16, 14)]
    public void Tiles_cover_the_latent_and_their_stride_crops_cover_each_pixel_once(int height, int width, int tile, int stride)
    {
        var covered = new int[height, width];
        var placed = new int[height, width];
        foreach (var row in TiledDecode.Plan(height, width, tile, stride))
        {
            Assert.All(row, s => Assert.Equal(row[0].Height, s.Height));
            foreach (var s in row)
            {
                Assert.True(s.Height >= 1 && s.Width >= 1 && s.Height <= tile && s.Width <= tile);
                for (var y = 0; y < s.Height; y++)
                {
                    for (var x = 0; x < s.Width; x++)
                    {
                        covered[s.Y + y, s.X + x]++;
                        if (y < stride && x < stride)
                        {
                            placed[s.Y + y, s.X + x]++;
                        }
                    }
                }
            }
        }

        Assert.All(covered.Cast<int>(), n => Assert.True(n >= 1));
        Assert.All(placed.Cast<int>(), n => Assert.Equal(1, n));
    }

    [Theory]
    [InlineData(6, 6)]
    [InlineData(3, 5)]
    public void One_tile_is_the_whole_decode_bit_for_bit(int latentHeight, int latentWidth)
    {
        const int channels = 4, factor = 3;
        var latent = Random(channels * latentHeight * latentWidth, 5);
        var calls = 0;
        float[] Decoder(float[] l, int h, int w)
        {
            calls++;
            return Nonlinear(l, channels, h, w, factor);
        }

        var tiled = TiledDecode.Decode(latent, channels, latentHeight, latentWidth, factor, tileLatent: 8, strideLatent: 6, sampleChannels: 3, Decoder, CancellationToken.None);
        Assert.Equal(1, calls);
        Assert.Equal(Nonlinear(latent, channels, latentHeight, latentWidth, factor), tiled);
    }

    [Fact]
    public void A_horizontal_seam_is_diffusers_ramp_from_the_left_tile_to_the_right_one()
    {
        // Tiles of 4 latent pixels every 3, factor 2: a 2x5 latent is two tiles (4 and 2 wide), blended over 2 pixels.
        var values = new[] { 0.3f, -1.7f };
        var sample = DecodeConstants(values, latentHeight: 2, latentWidth: 5, factor: 2, tile: 4, stride: 3, channels: 1);
        for (var y = 0; y < 4; y++)
        {
            var row = sample.AsSpan(y * 10, 10).ToArray();
            float[] expected = [.. Enumerable.Repeat(values[0], 6), Mix(values[0], values[1], 0, 2), Mix(values[0], values[1], 1, 2), values[1], values[1]];
            Assert.Equal(expected, row);
        }
    }

    [Fact]
    public void A_ramp_is_clamped_to_a_narrow_edge_tile()
    {
        // Tiles of 4 every 2, factor 2 (4-pixel overlaps): widths 4, 3 and 1 latent pixels, the last one 2 pixels wide.
        var values = new[] { 1.1f, 0.7f, -2.3f };
        var sample = DecodeConstants(values, latentHeight: 1, latentWidth: 5, factor: 2, tile: 4, stride: 2, channels: 1);
        var a = values[0];
        var b = values[1];
        var c = values[2];
        float[] expected = [a, a, a, a, Mix(a, b, 0, 4), Mix(a, b, 1, 4), Mix(a, b, 2, 4), Mix(a, b, 3, 4), Mix(b, c, 0, 2), Mix(b, c, 1, 2)];
        Assert.Equal(expected, sample.AsSpan(0, 10).ToArray());
        Assert.Equal(expected, sample.AsSpan(10, 10).ToArray());
    }

    [Fact]
    public void Tiles_blend_with_the_tile_above_then_the_left_one_both_already_blended()
    {
        // A 4x4 latent in tiles of 3 every 2, factor 3: 2x2 tiles, 3-pixel ramps with weights 1, 2/3, 1/3 (inexact in
        // float). Each tile decodes to a constant per channel.
        const int channels = 2;
        float[] t = [0.25f, -1.3f, 2.7f, 0.9f]; // tiles (0,0), (0,1), (1,0), (1,1)
        var sample = DecodeConstants(t, latentHeight: 4, latentWidth: 4, factor: 3, tile: 3, stride: 2, channels: channels);
        for (var ch = 0; ch < channels; ch++)
        {
            var (t00, t01, t10, t11) = (T(0), T(1), T(2), T(3));
            for (var y = 0; y < 12; y++)
            {
                for (var x = 0; x < 12; x++)
                {
                    float expected;
                    if (y < 6 && x < 6)
                    {
                        expected = t00;
                    }
                    else if (y < 6)
                    {
                        expected = x - 6 < 3 ? Mix(t00, t01, x - 6, 3) : t01;
                    }
                    else if (x < 6)
                    {
                        expected = y - 6 < 3 ? Mix(t00, t10, y - 6, 3) : t10;
                    }
                    else
                    {
                        var (ty, tx) = (y - 6, x - 6);
                        // blend_v with tile (0,1) as blend_h left it, then blend_h with tile (1,0) as blend_v left it.
                        var above = tx < 3 ? Mix(t00, t01, tx, 3) : t01;
                        var vertical = ty < 3 ? Mix(above, t11, ty, 3) : t11;
                        var left = ty < 3 ? Mix(t00, t10, ty, 3) : t10;
                        expected = tx < 3 ? Mix(left, vertical, tx, 3) : vertical;
                    }

                    Assert.Equal(expected, sample[(((ch * 12) + y) * 12) + x]);
                }
            }

            float T(int i) => t[i] + (ch * 0.375f);
        }
    }

    [Theory]
    [InlineData(11, 17, 5, 3, 2)]
    [InlineData(16, 11, 8, 6, 4)]
    [InlineData(13, 19, 8, 6, 4)]
    public void With_a_pointwise_decoder_the_tiles_line_up_with_the_whole_image(int height, int width, int tile, int stride, int factor)
    {
        // Nearest-neighbour upsampling sees no neighbours, so overlapping tiles agree and every blend is a*(1-w) + a*w.
        const int channels = 3;
        var latent = Random(channels * height * width, 11);
        var whole = Nonlinear(latent, channels, height, width, factor);
        var tiled = TiledDecode.Decode(latent, channels, height, width, factor, tile, stride, 3, (l, h, w) => Nonlinear(l, channels, h, w, factor), CancellationToken.None);
        Assert.Equal(whole.Length, tiled.Length);
        for (var i = 0; i < whole.Length; i++)
        {
            Assert.True(Math.Abs(whole[i] - tiled[i]) <= 1e-6f * Math.Max(1, Math.Abs(whole[i])), $"value {i}: {tiled[i]} vs {whole[i]}");
        }
    }

    [Fact]
    public void A_decoder_returning_the_wrong_size_is_an_error()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            TiledDecode.Decode(new float[2 * 4 * 4], 2, 4, 4, 2, 3, 2, 3, (_, h, w) => new float[3 * h * w], CancellationToken.None));
        Assert.Contains("decoded tile", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_is_diffusers_tiles_above_the_cuda_activation_limit()
    {
        var d = new DecodeTiling();
        Assert.Equal((512, 448), (d.TileSize, d.TileStride));
        Assert.Equal(8_388_607L, d.MaxWholePixels);
        d.Validate(32);
        d.Validate(4);
        Assert.False(d.UsesTiles(2880, 2912)); // 8,386,560 pixels: whole, as before
        Assert.False(d.UsesTiles(2896, 2896));
        Assert.True(d.UsesTiles(4096, 2048)); // 2^23 pixels: 256 channels make 2^31 elements
        Assert.True(d.UsesTiles(2912, 2912));
        Assert.True(d.UsesTiles(8192, 8192));
    }

    [Fact]
    public void Tiles_only_when_larger_than_one_tile_whatever_the_threshold()
    {
        var d = new DecodeTiling { TileSize = 32, TileStride = 24, MaxWholePixels = 0 };
        Assert.False(d.UsesTiles(32, 32));
        Assert.False(d.UsesTiles(8, 32));
        Assert.True(d.UsesTiles(36, 8));
        Assert.True(d.UsesTiles(8, 36));
        Assert.False((d with { MaxWholePixels = 36 * 8 }).UsesTiles(36, 8));
        Assert.True((d with { MaxWholePixels = (36 * 8) - 1 }).UsesTiles(36, 8));
    }

    [Theory]
    [InlineData(500, 448, 0, 32, "DecodeTiling.TileSize")]
    [InlineData(0, 448, 0, 32, "DecodeTiling.TileSize")]
    [InlineData(8224, 448, 0, 32, "DecodeTiling.TileSize")]
    [InlineData(512, 512, 0, 32, "DecodeTiling.TileStride")]
    [InlineData(512, 640, 0, 32, "DecodeTiling.TileStride")]
    [InlineData(512, 450, 0, 32, "DecodeTiling.TileStride")]
    [InlineData(512, 0, 0, 32, "DecodeTiling.TileStride")]
    [InlineData(512, 448, -1, 32, "DecodeTiling.MaxWholePixels")]
    [InlineData(30, 20, 0, 4, "DecodeTiling.TileSize")]
    public void Invalid_settings_name_the_field(int size, int stride, long maxWhole, int pixelFactor, string field)
    {
        var e = Assert.Throws<ArgumentException>(() => new DecodeTiling { TileSize = size, TileStride = stride, MaxWholePixels = maxWhole }.Validate(pixelFactor));
        Assert.StartsWith(field + ":", e.Message, StringComparison.Ordinal);
        if (field != "DecodeTiling.MaxWholePixels")
        {
            Assert.Contains($"multiple of {pixelFactor} (the model's pixel factor)", e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>diffusers' blend formula on one value: a * (1 - k / e) + b * (k / e), weights rounded to float32.</summary>
    private static float Mix(float a, float b, int k, int e)
    {
        var wa = (float)(1 - ((double)k / e));
        var wb = (float)((double)k / e);
        return (a * wa) + (b * wb);
    }

    /// <summary>Decodes with a stand-in whose n-th call returns values[n] (+ 0.375 per channel) everywhere.</summary>
    private static float[] DecodeConstants(float[] values, int latentHeight, int latentWidth, int factor, int tile, int stride, int channels)
    {
        var calls = 0;
        var sample = TiledDecode.Decode(
            new float[latentHeight * latentWidth], 1, latentHeight, latentWidth, factor, tile, stride, channels,
            (_, h, w) =>
            {
                var v = values[calls++];
                var plane = h * factor * w * factor;
                var data = new float[channels * plane];
                for (var c = 0; c < channels; c++)
                {
                    data.AsSpan(c * plane, plane).Fill(v + (c * 0.375f));
                }

                return data;
            },
            CancellationToken.None);
        Assert.Equal(values.Length, calls);
        return sample;
    }

    /// <summary>A pointwise stand-in decoder: nearest-neighbour upsampling by factor into 3 channels, through tanh.</summary>
    private static float[] Nonlinear(float[] latent, int channels, int h, int w, int factor)
    {
        var (height, width) = (h * factor, w * factor);
        var sample = new float[3 * height * width];
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var v = latent[(((c % channels) * h) + (y / factor)) * w + (x / factor)];
                    sample[(((c * height) + y) * width) + x] = MathF.Tanh((1.3f * v) + (0.1f * c));
                }
            }
        }

        return sample;
    }

    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
    }
}
