using Sana.Inference.Model;
using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

/// <summary>
/// DC-AE decode of final latents into pixels, one image (or one tile of one image) per decoder call. Why one: ONNX
/// Runtime's CPU kernels take other code paths for other batch sizes, and the decoder rounded a pixel of an image made
/// in a micro-batch of 2 one step away from the same image made alone (seeds 27, 31 and 86 of the tiny model; the
/// transformer's latents were identical), while an image must depend on its seed only (BatchIndependenceTests). The
/// path that differs: DC-AE's RMSNorm normalises over channels, and ONNX Runtime's transpose optimizer
/// (ORT_ENABLE_BASIC and up) removes the NCHW-to-NHWC transposes around it, so its ReduceMean reduces axis 1 of [N, C,
/// H, W]. The CPU reduction drops the batch axis when N is 1 and adds the C rows one after another ("RK" path); for N
/// of 2 or more it sums each image's [C, H*W] block as an MLAS SGEMM with a vector of ones ("KRK" path, fused
/// multiply-adds in another order), and the two round differently (with one intra-op thread too; graph optimisations
/// off, the difference is gone). Per image, the decoder sees the same input shape, hence the same kernels and summation
/// order, whatever the micro-batch. It also keeps every activation under ONNX Runtime's CUDA Resize limit of 2^31
/// elements (256 channels at full resolution: eight 1024x1024 images in one call failed) up to about 2896x2896 pixels.
/// The cost is small: on the tiny model on 2 CPU cores, decoding 4 images took 0.042 s one by one against 0.033 s
/// together (+2 ms per image, 0.5% of the call); on the H200 the decoder is ~15% of an image's time at batch 4 and a
/// 1024x1024 image alone already gives its convolutions a million positions per channel.
/// <para>Above about 2896x2896 pixels (<see cref="DecodeTiling.MaxWholePixels"/>, settable through <see
/// cref="PipelineOptions.DecodeTiling"/>) one image is too much for one call: its 256-channel full-resolution
/// activation passes 2^31 elements (CUDA's Resize fails; on the CPU a 4096x4096 image needs ~17 GB per activation).
/// Such an image is decoded the way diffusers' AutoencoderDC does after <c>vae.enable_tiling()</c> (<see
/// cref="TiledDecode"/>): overlapping latent tiles (512-pixel tiles every 448 pixels by default), one decoder call
/// each, blended with diffusers' linear ramps and stitched. Images at or below the threshold, or within one tile, are
/// decoded whole, exactly as before.</para>
/// </summary>
internal sealed class LatentDecoder(ModelFolder folder, OnnxGraph vaeDecoder, DecodeTiling tiling)
{
    public IEnumerable<GeneratedImage> Decode(float[] latents, ImageSeed[] batch, int width, int height, CancellationToken cancellationToken)
    {
        var perImage = folder.LatentChannels * (height / folder.PixelFactor) * (width / folder.PixelFactor);
        for (var n = 0; n < batch.Length; n++)
        {
            var sample = DecodeSample(latents.AsSpan(n * perImage, perImage), width, height, cancellationToken);
            var image = batch[n];
            yield return new GeneratedImage(image.Index, image.Seed, width, height, Imaging.DecodedPixels.ToRgb(sample, 0, height, width));
        }
    }

    /// <summary>
    /// One image's final latents [C, height / f, width / f] (before / scaling_factor) decoded to the float sample
    /// [3, height, width], about -1..1 and unclamped (diffusers' vae.decode(latents / scaling_factor)): whole, or in tiles above the
    /// threshold.
    /// </summary>
    internal float[] DecodeSample(ReadOnlySpan<float> latent, int width, int height, CancellationToken cancellationToken)
    {
        var scale = (float)folder.Manifest.VaeDecoder.ScalingFactor;
        var f = folder.PixelFactor;
        var channels = folder.LatentChannels;
        var scaled = new float[channels * (height / f) * (width / f)];
        if (latent.Length != scaled.Length)
        {
            throw new ArgumentException($"latent has {latent.Length} values, expected {channels} x {height / f} x {width / f}", nameof(latent));
        }

        for (var i = 0; i < scaled.Length; i++)
        {
            // diffusers: latents / vae.config.scaling_factor, in float32.
            scaled[i] = latent[i] / scale;
        }

        if (!tiling.UsesTiles(width, height))
        {
            return Run(scaled, height / f, width / f, cancellationToken);
        }

        return TiledDecode.Decode(
            scaled, channels, height / f, width / f, f, tiling.TileSize / f, tiling.TileStride / f, sampleChannels: 3,
            (tile, h, w) => Run(tile, h, w, cancellationToken), cancellationToken);
    }

    private float[] Run(float[] latent, int latentHeight, int latentWidth, CancellationToken cancellationToken)
    {
        var f = folder.PixelFactor;
        var shape = new long[] { 1, folder.LatentChannels, latentHeight, latentWidth };
        var expected = new long[] { 1, 3, latentHeight * f, latentWidth * f };
        var decoded = vaeDecoder.Run([("latent", new HostTensor(latent, shape))], [], ["sample"], cancellationToken)[0];
        if (!decoded.Shape.SequenceEqual(expected))
        {
            throw new InvalidOperationException(
                $"{vaeDecoder.Path}: sample has shape [{string.Join(", ", decoded.Shape)}], expected [{string.Join(", ", expected)}] (check vae_decoder.spatial_compression_ratio)");
        }

        return decoded.Data;
    }
}
