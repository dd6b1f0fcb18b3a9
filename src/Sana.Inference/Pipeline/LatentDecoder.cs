using Sana.Inference.Model;
using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

/// <summary>
/// DC-AE decode of final latents into pixels, in slices small enough for every kernel: ONNX Runtime's CUDA Resize
/// refuses tensors of 2^31 elements or more, and DC-AE's last up block upsamples 256 channels to full resolution,
/// so eight 1024x1024 images in one call fail. Each image is decoded on its own rows, so slicing changes no pixel.
/// </summary>
internal sealed class LatentDecoder(ModelFolder folder, OnnxGraph vaeDecoder)
{
    /// <summary>Channels of the widest full-resolution activation (DC-AE f32c32's last up block).</summary>
    private const long FullResolutionChannels = 256;

    /// <summary>Half of int.MaxValue: the largest activation a slice may need, with room to spare.</summary>
    private const long MaxActivationElements = 1L << 30;

    /// <summary>Images per decoder call at this size.</summary>
    public static int ImagesPerCall(int width, int height) =>
        (int)Math.Max(1, MaxActivationElements / (FullResolutionChannels * width * height));

    public IEnumerable<GeneratedImage> Decode(float[] latents, ImageSeed[] batch, int width, int height, CancellationToken cancellationToken)
    {
        var scale = (float)folder.Manifest.VaeDecoder.ScalingFactor;
        var f = folder.PixelFactor;
        var perImage = folder.LatentChannels * (height / f) * (width / f);
        var slice = ImagesPerCall(width, height);
        for (var start = 0; start < batch.Length; start += slice)
        {
            var count = Math.Min(slice, batch.Length - start);
            var scaled = new float[count * perImage];
            var source = latents.AsSpan(start * perImage, count * perImage);
            for (var i = 0; i < scaled.Length; i++)
            {
                // diffusers: latents / vae.config.scaling_factor, in float32.
                scaled[i] = source[i] / scale;
            }

            var shape = new long[] { count, folder.LatentChannels, height / f, width / f };
            var decoded = vaeDecoder.Run([("latent", new HostTensor(scaled, shape))], [], ["sample"], cancellationToken)[0];
            var expected = new long[] { count, 3, height, width };
            if (!decoded.Shape.SequenceEqual(expected))
            {
                throw new InvalidOperationException(
                    $"{vaeDecoder.Path}: sample has shape [{string.Join(", ", decoded.Shape)}], expected [{string.Join(", ", expected)}] (check vae_decoder.spatial_compression_ratio)");
            }

            for (var n = 0; n < count; n++)
            {
                var image = batch[start + n];
                yield return new GeneratedImage(image.Index, image.Seed, width, height, Imaging.DecodedPixels.ToRgb(decoded.Data, n, height, width));
            }
        }
    }
}
