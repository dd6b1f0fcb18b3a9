namespace Sana.Inference.Pipeline;

/// <summary>Pixels of one finished image: RGB, 8 bits per channel, row-major, no padding.</summary>
public sealed record GeneratedImage(int Index, ulong Seed, int Width, int Height, byte[] Rgb);
