namespace Sana.Inference.Imaging;

/// <summary>
/// From the decoder's output to 8-bit RGB exactly as diffusers' image processor does it:
/// clamp(x * 0.5 + 0.5, 0, 1), NCHW to NHWC, round(x * 255) half-to-even (numpy's round), as uint8.
/// </summary>
internal static class DecodedPixels
{
    /// <summary>Image <paramref name="n"/> of a [N, 3, H, W] float buffer as packed RGB bytes.</summary>
    public static byte[] ToRgb(ReadOnlySpan<float> decoded, int n, int height, int width)
    {
        var plane = height * width;
        var offset = n * 3 * plane;
        var rgb = new byte[plane * 3];
        for (var c = 0; c < 3; c++)
        {
            var channel = decoded.Slice(offset + (c * plane), plane);
            for (var p = 0; p < plane; p++)
            {
                rgb[(p * 3) + c] = ToByte(channel[p]);
            }
        }

        return rgb;
    }

    /// <summary>The same mapping for one value; float32 at every step, as torch and numpy compute it.</summary>
    public static byte ToByte(float x)
    {
        var v = (x * 0.5f) + 0.5f;
        v = Math.Clamp(v, 0f, 1f);
        return (byte)MathF.Round(v * 255f, MidpointRounding.ToEven);
    }
}
