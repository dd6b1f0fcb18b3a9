namespace Sana.Inference.Pipeline;

/// <summary>Image number <see cref="Index"/> of a job and the seed its noise is drawn from.</summary>
public readonly record struct ImageSeed(int Index, ulong Seed);
