namespace Sana.Inference.Pipeline;

/// <summary>
/// diffusers' AutoencoderDC.tiled_decode over flat float arrays of one image, with the decoder passed in (so the
/// geometry and blending are testable without ONNX). Tiles start every strideLatent latent pixels in each direction
/// (0, s, 2s, ... while below the size) and span tileLatent pixels, fewer at the bottom and right edges. Each tile is
/// decoded alone; then, row by row and left to right, a tile is blended in place with the tile above it (blend_v)
/// and then with the tile to its left (blend_h), both neighbours already blended themselves, and its top-left
/// stride x stride pixels go into the image. Blending over the overlap of (tileLatent - strideLatent) x factor pixels
/// (clamped to the smaller tile) is diffusers' linear ramp, in its float operations: at offset k of an extent e,
/// b = a * (float)(1 - k / e) + b * (float)(k / e), the weights computed in double and rounded to float32, each
/// product and the sum rounded to float32, as PyTorch does for a float32 tensor times a Python float. Only the
/// previous row of decoded tiles is kept, which changes no value: diffusers reads a tile only after it is blended.
/// </summary>
internal static class TiledDecode
{
    /// <summary>One decoded tile: [channels, height, width] in C order.</summary>
    internal sealed record Tile(float[] Data, int Height, int Width);

    /// <summary>A tile's place in the latent: rows [Y, Y + Height), columns [X, X + Width).</summary>
    internal readonly record struct Span2D(int Y, int X, int Height, int Width);

    /// <summary>Tile origins along one axis: 0, stride, 2 x stride, ... below length (Python's range(0, length, stride)).</summary>
    public static int[] Origins(int length, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        var origins = new int[(length + stride - 1) / stride];
        for (var i = 0; i < origins.Length; i++)
        {
            origins[i] = i * stride;
        }

        return origins;
    }

    /// <summary>The latent tiles in row-major order (the order diffusers runs its decoder on them).</summary>
    public static Span2D[][] Plan(int latentHeight, int latentWidth, int tileLatent, int strideLatent)
    {
        var ys = Origins(latentHeight, strideLatent);
        var xs = Origins(latentWidth, strideLatent);
        return ys.Select(y => xs.Select(x => new Span2D(y, x, Math.Min(tileLatent, latentHeight - y), Math.Min(tileLatent, latentWidth - x))).ToArray()).ToArray();
    }

    /// <summary>
    /// Decodes latent [channels, latentHeight, latentWidth] tile by tile into [sampleChannels, latentHeight x factor,
    /// latentWidth x factor]. decodeTile gets a tile's latent [channels, h, w] with h and w and returns its
    /// [sampleChannels, h x factor, w x factor].
    /// </summary>
    public static float[] Decode(
        ReadOnlySpan<float> latent,
        int channels,
        int latentHeight,
        int latentWidth,
        int factor,
        int tileLatent,
        int strideLatent,
        int sampleChannels,
        Func<float[], int, int, float[]> decodeTile,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decodeTile);
        if (latent.Length != channels * latentHeight * latentWidth)
        {
            throw new ArgumentException($"latent has {latent.Length} values, expected {channels} x {latentHeight} x {latentWidth}", nameof(latent));
        }

        if (strideLatent < 1 || strideLatent > tileLatent)
        {
            throw new ArgumentOutOfRangeException(nameof(strideLatent), $"{strideLatent} must be in 1..{tileLatent} (the tile size)");
        }

        var height = latentHeight * factor;
        var width = latentWidth * factor;
        var blend = (tileLatent - strideLatent) * factor;
        var stride = strideLatent * factor;
        var sample = new float[sampleChannels * height * width];
        Tile[]? above = null;
        foreach (var row in Plan(latentHeight, latentWidth, tileLatent, strideLatent))
        {
            var current = new Tile[row.Length];
            for (var j = 0; j < row.Length; j++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var span = row[j];
                var decoded = decodeTile(Crop(latent, channels, latentHeight, latentWidth, span), span.Height, span.Width);
                var tile = new Tile(decoded, span.Height * factor, span.Width * factor);
                if (decoded.Length != sampleChannels * tile.Height * tile.Width)
                {
                    throw new InvalidOperationException(
                        $"a decoded tile has {decoded.Length} values, expected {sampleChannels} x {tile.Height} x {tile.Width}");
                }

                if (above is not null)
                {
                    BlendVertical(above[j], tile, sampleChannels, blend);
                }

                if (j > 0)
                {
                    BlendHorizontal(current[j - 1], tile, sampleChannels, blend);
                }

                current[j] = tile;
                Place(tile, sampleChannels, Math.Min(stride, tile.Height), Math.Min(stride, tile.Width), sample, height, width, span.Y * factor, span.X * factor);
            }

            above = current;
        }

        return sample;
    }

    /// <summary>
    /// diffusers' blend_v: the first e rows of b (e = the extent clamped to both heights) become a ramp from a's last e
    /// rows; b is changed in place.
    /// </summary>
    public static void BlendVertical(Tile a, Tile b, int channels, int extent)
    {
        if (a.Width != b.Width)
        {
            throw new ArgumentException($"tiles above each other differ in width ({a.Width}, {b.Width})", nameof(b));
        }

        var e = Math.Min(Math.Min(a.Height, b.Height), extent);
        var w = b.Width;
        for (var y = 0; y < e; y++)
        {
            var (wa, wb) = Weights(y, e);
            for (var c = 0; c < channels; c++)
            {
                var ar = a.Data.AsSpan(((c * a.Height) + (a.Height - e + y)) * w, w);
                var br = b.Data.AsSpan(((c * b.Height) + y) * w, w);
                for (var x = 0; x < w; x++)
                {
                    br[x] = (ar[x] * wa) + (br[x] * wb);
                }
            }
        }
    }

    /// <summary>
    /// diffusers' blend_h: the first e columns of b (e = the extent clamped to both widths) become a ramp from a's
    /// last e columns; b is changed in place.
    /// </summary>
    public static void BlendHorizontal(Tile a, Tile b, int channels, int extent)
    {
        if (a.Height != b.Height)
        {
            throw new ArgumentException($"tiles side by side differ in height ({a.Height}, {b.Height})", nameof(b));
        }

        var e = Math.Min(Math.Min(a.Width, b.Width), extent);
        for (var x = 0; x < e; x++)
        {
            var (wa, wb) = Weights(x, e);
            for (var c = 0; c < channels; c++)
            {
                for (var y = 0; y < b.Height; y++)
                {
                    var bi = (((c * b.Height) + y) * b.Width) + x;
                    b.Data[bi] = (a.Data[(((c * a.Height) + y) * a.Width) + (a.Width - e + x)] * wa) + (b.Data[bi] * wb);
                }
            }
        }
    }

    /// <summary>
    /// The ramp's weights at offset k of extent e as PyTorch applies them: Python computes 1 - k / e and k / e in
    /// double, and a float32 tensor times a Python float multiplies by the float32 rounding of that double.
    /// </summary>
    internal static (float A, float B) Weights(int k, int e) => ((float)(1 - ((double)k / e)), (float)((double)k / e));

    private static float[] Crop(ReadOnlySpan<float> latent, int channels, int latentHeight, int latentWidth, Span2D span)
    {
        var tile = new float[channels * span.Height * span.Width];
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < span.Height; y++)
            {
                latent.Slice(((c * latentHeight) + span.Y + y) * latentWidth + span.X, span.Width)
                    .CopyTo(tile.AsSpan(((c * span.Height) + y) * span.Width, span.Width));
            }
        }

        return tile;
    }

    private static void Place(Tile tile, int channels, int rows, int columns, float[] sample, int height, int width, int top, int left)
    {
        for (var c = 0; c < channels; c++)
        {
            for (var y = 0; y < rows; y++)
            {
                tile.Data.AsSpan(((c * tile.Height) + y) * tile.Width, columns)
                    .CopyTo(sample.AsSpan((((c * height) + top + y) * width) + left, columns));
            }
        }
    }
}
