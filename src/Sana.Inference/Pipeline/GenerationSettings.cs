namespace Sana.Inference.Pipeline;

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
