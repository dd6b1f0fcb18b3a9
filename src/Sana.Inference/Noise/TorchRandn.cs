using System.Runtime.Intrinsics;

namespace Sana.Inference.Noise;

/// <summary>
/// <c>torch.randn(shape, generator=g, dtype=torch.float32)</c> on the CPU, bit for bit as PyTorch 2.11's Linux
/// x86-64 wheel draws it, so that a seed means the same image here and in diffusers. The shape does not matter,
/// only the element count: from 16 elements on, torch fills uniforms and transforms them 16 at a time in float32
/// (redrawing the last 16 when the count is not a multiple of 16); below 16 it draws one double-precision normal
/// per element and keeps the spare one in the generator for the next small draw.
/// </summary>
public static class TorchRandn
{
    /// <summary>Fills <paramref name="destination"/> with standard normals, advancing <paramref name="generator"/> as torch does.</summary>
    public static void Fill(TorchCpuGenerator generator, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(generator);
        Fill(generator, destination, mean: 0f, std: 1f, vectorized: Vector256.IsHardwareAccelerated);
    }

    /// <summary>
    /// <c>normal_(mean, std)</c> on a contiguous float32 tensor. <paramref name="vectorized"/> picks between two
    /// implementations that give the same bits (tests check that they do).
    /// </summary>
    internal static void Fill(TorchCpuGenerator generator, Span<float> destination, float mean, float std, bool vectorized)
    {
        if (destination.Length < 16)
        {
            FillDoublePath(generator, destination, mean, std);
            return;
        }

        generator.FillUniformSingles(destination);
        var n = destination.Length;
        for (var b = 0; b + 16 <= n; b += 16)
        {
            Transform(destination.Slice(b, 16), mean, std, vectorized);
        }

        if (n % 16 != 0)
        {
            // torch redraws the last 16 uniforms (overwriting normals already made there) and transforms them.
            var tail = destination[(n - 16)..];
            generator.FillUniformSingles(tail);
            Transform(tail, mean, std, vectorized);
        }
    }

    private static void Transform(Span<float> block, float mean, float std, bool vectorized)
    {
        if (vectorized)
        {
            BoxMuller16.Vector(block, mean, std);
        }
        else
        {
            BoxMuller16.Scalar(block, mean, std);
        }
    }

    /// <summary>
    /// <c>at::normal_distribution&lt;double&gt;</c> per element: Box-Muller in double on two 53-bit uniforms,
    /// returning r cos and caching r sin in the generator.
    /// </summary>
    private static void FillDoublePath(TorchCpuGenerator generator, Span<float> destination, double mean, double std)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            if (!generator.TryTakeCachedNormal(out var normal))
            {
                var u1 = generator.NextUniformDouble();
                var u2 = generator.NextUniformDouble();

                // torch calls log1p(-u2). u2 is a multiple of 2^-53 below 1, so 1 - u2 is exact and log(1 - u2) is
                // the same mathematical value; both libm functions are within an ulp of it and the result is rounded
                // to float below, so they agree on the output.
                var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - u2));
                var theta = 2.0 * Math.PI * u1;
                generator.CacheNormal(radius * Math.Sin(theta));
                normal = radius * Math.Cos(theta);
            }

            destination[i] = (float)((normal * std) + mean);
        }
    }
}
