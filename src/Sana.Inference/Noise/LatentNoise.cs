namespace Sana.Inference.Noise;

/// <summary>
/// The initial latent of one image: <c>torch.randn((1, C, h, w), generator=torch.Generator("cpu").manual_seed(seed))</c>,
/// which is what diffusers draws per image when given one CPU generator per image. A fresh generator per image is
/// what makes image i depend on its own seed only, never on the batch it shares.
/// </summary>
public static class LatentNoise
{
    /// <summary>A new [1, <paramref name="channels"/>, <paramref name="height"/>, <paramref name="width"/>] latent, row-major.</summary>
    public static float[] ForSeed(ulong seed, int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var count = checked(channels * height * width);
        var latent = GC.AllocateUninitializedArray<float>(count);
        Fill(seed, latent);
        return latent;
    }

    /// <summary>
    /// Writes the latent for <paramref name="seed"/> into <paramref name="destination"/> (C*h*w elements), e.g. one
    /// image's slice of a batch buffer, without allocating the latent.
    /// </summary>
    public static void Fill(ulong seed, Span<float> destination) => TorchRandn.Fill(new TorchCpuGenerator(seed), destination);
}
