namespace Sana.Inference.Pipeline;

/// <summary>Which flow-matching sampler drives the denoising loop.</summary>
public enum SamplerKind
{
    /// <summary>DPM-Solver++ 2M in flow mode: the hub default (DPMSolverMultistepScheduler).</summary>
    DpmSolver,

    /// <summary>Flow-match Euler (FlowMatchEulerDiscreteScheduler).</summary>
    Euler,
}

/// <summary>
/// Everything about a request except the seeds: the same settings with the same seed give the same image.
/// Defaults are diffusers' SanaPipeline defaults.
/// </summary>
public sealed record GenerationSettings
{
    public required string Prompt { get; init; }
    public string NegativePrompt { get; init; } = "";
    public int Width { get; init; } = 1024;
    public int Height { get; init; } = 1024;
    public int Steps { get; init; } = 20;
    /// <summary>Classifier-free guidance scale; 1.0 or below turns guidance off (half the transformer batch).</summary>
    public double GuidanceScale { get; init; } = 4.5;
    /// <summary>Perturbed-attention guidance scale; 0 turns PAG off.</summary>
    public double PagScale { get; init; }
    /// <summary>Transformer block indices whose self-attention is perturbed when PAG is on (diffusers' transformer_blocks.N).</summary>
    public IReadOnlyList<int> PagLayers { get; init; } = [0];
    public SamplerKind Sampler { get; init; } = SamplerKind.DpmSolver;
    /// <summary>Flow shift; null takes the model folder's scheduler config (3.0 for the hub models).</summary>
    public double? FlowShift { get; init; }
}

/// <summary>Image number <see cref="Index"/> of a job and the seed its noise is drawn from.</summary>
public readonly record struct ImageSeed(int Index, ulong Seed);

/// <summary>Pixels of one finished image: RGB, 8 bits per channel, row-major, no padding.</summary>
public sealed record GeneratedImage(int Index, ulong Seed, int Width, int Height, byte[] Rgb);

/// <summary>Progress inside one Generate call: denoising steps done over all micro-batches.</summary>
public readonly record struct PipelineProgress(int StepsDone, int StepsTotal, int ImagesDone, int ImagesTotal);

/// <summary>
/// What a loaded pipeline serves. <paramref name="NativeSize"/>: the side in pixels the model was trained at (the
/// transformer's sample size times the decoder's compression: 1024 for Sana 1600M 1024px), 0 when not known.
/// <paramref name="TransformerGraph"/>: which transformer graph runs and why (<see cref="TransformerGraphChoice"/>), for
/// logs; empty when not known.
/// </summary>
public sealed record ModelDescription(
    string Name,
    int LatentChannels,
    int PixelFactor,
    int NumLayers,
    string Device,
    int NativeSize = 0,
    string TransformerGraph = "");
