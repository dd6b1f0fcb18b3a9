using Sana.Orleans.Jobs;

namespace Sana.Orleans.Silo.Api;

/// <summary>
/// A submission as its JSON body gave it: each field null where it was left out (or null), the size still to be
/// resolved against the model the cluster serves.
/// </summary>
internal sealed record JobSubmission
{
    public string? JobId { get; init; }
    public string? Prompt { get; init; }
    public string? NegativePrompt { get; init; }
    public int? Count { get; init; }
    public int? Width { get; init; }
    public int? Height { get; init; }
    public int? Steps { get; init; }
    public double? GuidanceScale { get; init; }
    public double? PagScale { get; init; }
    public int[]? PagLayers { get; init; }
    public JobSampler? Sampler { get; init; }
    public double? FlowShift { get; init; }
    public ulong? Seed { get; init; }
    public string? Model { get; init; }
    public JobItem[]? Items { get; init; }

    /// <summary>A size left out is the native size of the model the job runs on, as with <c>sana generate --cluster</c>.</summary>
    public bool NeedsNativeSize => Width is null || Height is null;

    /// <summary>
    /// The request the grains validate: fields left out take <see cref="ImageJobRequest"/>'s defaults, a missing prompt
    /// is empty (so the grains say "prompt: is empty"), a missing size the model's native one when known.
    /// </summary>
    public ImageJobRequest ToRequest(int? nativeSize)
    {
        var defaults = new ImageJobRequest { Prompt = "" };
        return new ImageJobRequest
        {
            Prompt = Prompt ?? "",
            NegativePrompt = NegativePrompt ?? defaults.NegativePrompt,
            Count = Count ?? defaults.Count,
            Width = Width ?? nativeSize ?? defaults.Width,
            Height = Height ?? nativeSize ?? defaults.Height,
            Steps = Steps ?? defaults.Steps,
            GuidanceScale = GuidanceScale ?? defaults.GuidanceScale,
            PagScale = PagScale ?? defaults.PagScale,
            PagLayers = PagLayers ?? defaults.PagLayers,
            Sampler = Sampler ?? defaults.Sampler,
            FlowShift = FlowShift,
            Seed = Seed ?? defaults.Seed,
            Model = Model,
            Items = Items,
        };
    }
}
