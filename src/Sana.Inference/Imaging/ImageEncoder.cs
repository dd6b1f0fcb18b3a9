using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using Sana.Inference.Pipeline;

namespace Sana.Inference.Imaging;

/// <summary>File formats a generated image can be written in. PNG is lossless and carries the metadata.</summary>
public enum ImageFormat
{
    Png,
    Jpeg,
    WebP,
}

/// <summary>
/// Encodes generated pixels into image files. PNG output is deterministic (same pixels and metadata, same bytes),
/// which lets a retried chunk overwrite a stored image with identical content.
/// </summary>
public static class ImageEncoder
{
    public static string Extension(ImageFormat format) => format switch
    {
        ImageFormat.Png => "png",
        ImageFormat.Jpeg => "jpg",
        _ => "webp",
    };

    public static byte[] Encode(GeneratedImage image, ImageMetadata metadata, ImageFormat format = ImageFormat.Png)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(metadata);
        using var img = Image.LoadPixelData<Rgb24>(image.Rgb, image.Width, image.Height);
        IImageEncoder encoder;
        if (format == ImageFormat.Png)
        {
            var png = img.Metadata.GetPngMetadata();
            foreach (var (key, value) in metadata.ToTextEntries())
            {
                png.TextData.Add(new PngTextData(key, value, string.Empty, string.Empty));
            }

            encoder = new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8, CompressionLevel = PngCompressionLevel.DefaultCompression };
        }
        else if (format == ImageFormat.Jpeg)
        {
            encoder = new JpegEncoder { Quality = 95 };
        }
        else
        {
            encoder = new WebpEncoder { FileFormat = WebpFileFormatType.Lossless };
        }

        using var stream = new MemoryStream();
        img.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>Reads the text chunks back from a PNG (tests, tools that re-create an image from its file).</summary>
    public static IReadOnlyDictionary<string, string> ReadPngText(byte[] png)
    {
        using var img = Image.Load(png);
        return img.Metadata.GetPngMetadata().TextData.ToDictionary(t => t.Keyword, t => t.Value);
    }

    /// <summary>Decodes an image file to RGB pixels (tests and comparisons).</summary>
    public static (int Width, int Height, byte[] Rgb) DecodeRgb(byte[] file)
    {
        using var img = Image.Load<Rgb24>(file);
        var rgb = new byte[img.Width * img.Height * 3];
        img.CopyPixelDataTo(rgb);
        return (img.Width, img.Height, rgb);
    }
}
