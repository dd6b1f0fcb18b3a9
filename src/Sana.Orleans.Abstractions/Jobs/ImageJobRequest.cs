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
/// "N images of this prompt": what a client submits. Image i of the job uses seed <see cref="Seed"/> + i (wrapping),
/// so the same request always gives the same images whatever GPUs run it. Defaults are diffusers' Sana defaults.
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

    /// <summary>The seed of image <paramref name="index"/>: seed + index, wrapping at 2^64.</summary>
    public ulong SeedOf(int index) => unchecked(Seed + (ulong)index);

    /// <summary>Value equality including the PAG layer list (records compare arrays by reference).</summary>
    public bool SameAs(ImageJobRequest? other) =>
        other is not null
        && this with { PagLayers = [] } == other with { PagLayers = [] }
        && PagLayers.AsSpan().SequenceEqual(other.PagLayers);
}
