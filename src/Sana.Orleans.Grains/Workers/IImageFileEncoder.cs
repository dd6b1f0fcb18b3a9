using Sana.Inference.Imaging;
using Sana.Inference.Pipeline;

namespace Sana.Orleans.Grains.Workers;

/// <summary>Turns pixels into the stored file. Must be deterministic: a retried chunk re-stores identical bytes.</summary>
public interface IImageFileEncoder
{
    string Extension { get; }

    byte[] Encode(GeneratedImage image, GenerationSettings settings, string modelName);
}

/// <summary>PNG with the text chunks that let anyone re-make the image (prompt, seed, index, settings, model).</summary>
public sealed class PngImageFileEncoder : IImageFileEncoder
{
    public string Extension => "png";

    public byte[] Encode(GeneratedImage image, GenerationSettings settings, string modelName) =>
        ImageEncoder.Encode(image, ImageMetadata.From(settings, image, modelName), ImageFormat.Png);
}
