namespace Sana.Orleans.Jobs;

/// <summary>
/// One prompt of a job of many (<see cref="ImageJobRequest.Items"/>): its own prompt, negative prompt, image count and
/// seed; image i of the item uses <see cref="Seed"/> + i, so an item's images do not depend on the rest of the job.
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.JobItem")]
public sealed record JobItem
{
    [Id(0)] public required string Prompt { get; init; }
    [Id(1)] public string NegativePrompt { get; init; } = "";
    [Id(2)] public int Count { get; init; } = 1;
    [Id(3)] public ulong Seed { get; init; }
}
