using Sana.Inference.Imaging;
using Sana.Inference.Pipeline;

namespace Sana.Inference.Tests.Imaging;

public sealed class ImageEncoderTests
{
    private static readonly GenerationSettings Settings = new()
    {
        Prompt = "a fox, 狐 🦊", NegativePrompt = "blurry", Width = 4, Height = 2, Steps = 7, GuidanceScale = 4.5, PagScale = 3, PagLayers = [0, 8],
    };

    private static GeneratedImage Image => new(Index: 3, Seed: ulong.MaxValue, Width: 4, Height: 2,
        Rgb: Enumerable.Range(0, 24).Select(i => (byte)(i * 10)).ToArray());

    [Fact]
    public void Png_keeps_pixels_and_records_how_the_image_was_made()
    {
        var png = ImageEncoder.Encode(Image, ImageMetadata.From(Settings, Image, "tiny-sana"));
        var (w, h, rgb) = ImageEncoder.DecodeRgb(png);
        Assert.Equal((4, 2), (w, h));
        Assert.Equal(Image.Rgb, rgb);
        var text = ImageEncoder.ReadPngText(png);
        Assert.Equal("a fox, 狐 🦊", text["prompt"]);
        Assert.Equal("blurry", text["negative_prompt"]);
        Assert.Equal("18446744073709551615", text["seed"]);
        Assert.Equal("3", text["index"]);
        Assert.Equal("7", text["steps"]);
        Assert.Equal("4.5", text["guidance_scale"]);
        Assert.Equal("3", text["pag_scale"]);
        Assert.Equal("0,8", text["pag_layers"]);
        Assert.Equal("dpm", text["scheduler"]);
        Assert.Equal("4x2", text["size"]);
        Assert.Equal("tiny-sana", text["model"]);

        var withoutPag = ImageEncoder.ReadPngText(ImageEncoder.Encode(Image, ImageMetadata.From(Settings with { PagScale = 0 }, Image, "tiny-sana")));
        Assert.Equal("0", withoutPag["pag_scale"]);
        Assert.False(withoutPag.ContainsKey("pag_layers"), "PAG's layers are recorded only when PAG is on");
    }

    [Fact]
    public void Png_bytes_are_deterministic()
    {
        var meta = ImageMetadata.From(Settings, Image, "tiny-sana");
        Assert.Equal(ImageEncoder.Encode(Image, meta), ImageEncoder.Encode(Image, meta));
    }

    [Theory]
    [InlineData(ImageFormat.Jpeg)]
    [InlineData(ImageFormat.WebP)]
    public void Other_formats_decode_to_the_same_size(ImageFormat format)
    {
        var bytes = ImageEncoder.Encode(Image, ImageMetadata.From(Settings, Image, "tiny-sana"), format);
        var (w, h, _) = ImageEncoder.DecodeRgb(bytes);
        Assert.Equal((4, 2), (w, h));
    }

    [Theory]
    [InlineData(-1f, 0)]
    [InlineData(1f, 255)]
    [InlineData(-5f, 0)]
    [InlineData(5f, 255)]
    [InlineData(0f, 128)] // 0.5 * 255 = 127.5 rounds half to even: 128
    [InlineData(0.003921569f, 128)]
    public void Decoder_output_maps_to_bytes_like_diffusers(float x, byte expected) =>
        Assert.Equal(expected, DecodedPixels.ToByte(x));
}
