namespace Sana.Orleans.Jobs;

/// <summary>Which flow-matching sampler a job uses (mirrors the inference library without depending on it).</summary>
[GenerateSerializer]
[Alias("sana.JobSampler")]
public enum JobSampler
{
    DpmSolver = 0,
    Euler = 1,
}

/// <summary>
/// "N images of this prompt", or of each of many prompts (<see cref="Items"/>): what a client submits. Image i of the
/// job (or of an item) uses seed <see cref="Seed"/> (the item's seed) + i, wrapping, so the same request always gives
/// the same images whatever GPUs run it. Defaults are diffusers' Sana defaults.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.ImageJobRequest")]
public sealed record ImageJobRequest
{
    [Id(0)] public required string Prompt { get; init; }
    [Id(1)] public string NegativePrompt { get; init; } = "";
    [Id(2)] public int Count { get; init; } = 1;
    [Id(3)] public int Width { get; init; } = 1024;
    [Id(4)] public int Height { get; init; } = 1024;
    [Id(5)] public int Steps { get; init; } = 20;
    [Id(6)] public double GuidanceScale { get; init; } = 4.5;
    [Id(7)] public double PagScale { get; init; }
    [Id(8)] public int[] PagLayers { get; init; } = [0];
    [Id(9)] public JobSampler Sampler { get; init; } = JobSampler.DpmSolver;
    [Id(10)] public double? FlowShift { get; init; }
    [Id(11)] public ulong Seed { get; init; }

    /// <summary>The model name to run; null takes whatever model the cluster's GPUs serve.</summary>
    [Id(12)] public string? Model { get; init; }

    /// <summary>
    /// A job of many prompts: each item its own prompt, negative prompt, count and seed, all with this request's size,
    /// steps, sampler, guidance, PAG and model. The job's images are numbered item after item. With items, this
    /// request's own <see cref="Prompt"/> and <see cref="NegativePrompt"/> stay empty and <see cref="Count"/> and
    /// <see cref="Seed"/> are not used.
    /// </summary>
    [Id(13)] public JobItem[]? Items { get; init; }

    /// <summary>How many images the job makes: <see cref="Count"/>, or the items' counts together.</summary>
    public int ImageCount => Items is { Length: > 0 } items ? (int)Math.Min(int.MaxValue, items.Sum(i => (long)Math.Max(0, i.Count))) : Count;

    /// <summary>The seed of image <paramref name="index"/>: seed + index, wrapping at 2^64 (for items, see <see cref="JobItemLayout"/>).</summary>
    public ulong SeedOf(int index) => Items is { Length: > 0 } ? new JobItemLayout(this).SeedOf(index) : unchecked(Seed + (ulong)index);

    /// <summary>Value equality including the PAG layer list and the items (records compare arrays by reference).</summary>
    public bool SameAs(ImageJobRequest? other) =>
        other is not null
        && this with { PagLayers = [], Items = null } == other with { PagLayers = [], Items = null }
        && PagLayers.AsSpan().SequenceEqual(other.PagLayers)
        && (Items ?? []).AsSpan().SequenceEqual(other.Items ?? []);
}
