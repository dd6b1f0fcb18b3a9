using System.Globalization;

namespace Sana.Inference.Pipeline;

/// <summary>
/// When and how the DC-AE decoder works in tiles (<see cref="PipelineOptions.DecodeTiling"/>), as diffusers'
/// AutoencoderDC does after <c>vae.enable_tiling()</c>: overlapping latent tiles of <see cref="TileSize"/> pixels every
/// <see cref="TileStride"/> pixels, decoded one by one, blended where they overlap and cropped to the stride
/// (<see cref="TiledDecode"/>). An image of at most <see cref="MaxWholePixels"/> pixels, or one that fits in a single
/// tile (diffusers' own rule), is decoded whole.
/// </summary>
public sealed record DecodeTiling
{
    /// <summary>
    /// The most elements one tensor may have on ONNX Runtime's CUDA provider: its Resize kernel (the DC-AE decoder's
    /// upsampling) indexes with 32-bit integers and fails at 2^31 elements.
    /// </summary>
    public const long MaxActivationElements = int.MaxValue;

    /// <summary>
    /// Channels of the DC-AE decoder's widest activation at full image resolution: Sana's DC-AE f32c32 upsamples its
    /// 256-channel stage to the output size (the Resize of an interpolate up-block) before convolving it to 128.
    /// </summary>
    public const int FullResolutionChannels = 256;

    /// <summary>
    /// The default of <see cref="MaxWholePixels"/>: the largest image whose 256 x H x W activation stays within 2^31 - 1
    /// elements, 8,388,607 pixels (2896x2896 is the largest square). Larger whole decodes fail on CUDA (Resize) and
    /// need ~8.6 GB per activation on the CPU (17 GB at 4096x4096). Smaller images keep the whole decode, which is
    /// faster and has no seams, and their pixels stay what they were before tiling existed.
    /// </summary>
    public const long DefaultMaxWholePixels = MaxActivationElements / FullResolutionChannels;

    /// <summary>diffusers' tile_sample_min_height/width default.</summary>
    public const int DefaultTileSize = 512;

    /// <summary>diffusers' tile_sample_stride_height/width default (64 pixels of overlap).</summary>
    public const int DefaultTileStride = 448;

    /// <summary>Side of a tile in image pixels (diffusers' tile_sample_min_height/width); a multiple of the pixel factor.</summary>
    public int TileSize { get; init; } = DefaultTileSize;

    /// <summary>
    /// Pixels from one tile's origin to the next (diffusers' tile_sample_stride_height/width); a multiple of the pixel
    /// factor below <see cref="TileSize"/>. Neighbouring tiles overlap by TileSize - TileStride pixels, blended linearly.
    /// </summary>
    public int TileStride { get; init; } = DefaultTileStride;

    /// <summary>Images of up to this many pixels (width x height) are decoded whole; 0 tiles every image larger than a tile.</summary>
    public long MaxWholePixels { get; init; } = DefaultMaxWholePixels;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first field that does not fit a model of this pixel factor
    /// (image pixels per latent pixel).
    /// </summary>
    public void Validate(int pixelFactor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pixelFactor, 1);
        var inv = CultureInfo.InvariantCulture;
        if (TileSize < pixelFactor || TileSize % pixelFactor != 0 || TileSize > GenerationLimits.MaxSide)
        {
            throw new ArgumentException(
                string.Create(inv, $"DecodeTiling.TileSize: {TileSize} must be a multiple of {pixelFactor} (the model's pixel factor) between {pixelFactor} and {GenerationLimits.MaxSide}"));
        }

        if (TileStride < pixelFactor || TileStride % pixelFactor != 0 || TileStride >= TileSize)
        {
            throw new ArgumentException(
                string.Create(inv, $"DecodeTiling.TileStride: {TileStride} must be a multiple of {pixelFactor} (the model's pixel factor) from {pixelFactor} to below TileSize ({TileSize}), so that neighbouring tiles overlap"));
        }

        if (MaxWholePixels < 0)
        {
            throw new ArgumentException(
                string.Create(inv, $"DecodeTiling.MaxWholePixels: {MaxWholePixels} must be 0 or more"));
        }
    }

    /// <summary>
    /// Whether an image of this size is decoded in tiles: above <see cref="MaxWholePixels"/>, and (diffusers'
    /// AutoencoderDC._decode) wider or taller than one tile; otherwise whole, exactly as without tiling.
    /// </summary>
    public bool UsesTiles(int width, int height) =>
        (long)width * height > MaxWholePixels && (width > TileSize || height > TileSize);
}
