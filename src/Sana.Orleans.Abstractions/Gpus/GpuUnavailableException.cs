namespace Sana.Orleans.Gpus;

/// <summary>
/// A GPU worker is unhealthy (its model failed to load, or its session failed several chunks in a row) and refuses
/// work until a health probe succeeds. The job moves the chunk to other GPUs and asks this one again after
/// <see cref="RetryAfter"/>.
/// </summary>
[GenerateSerializer]
[Alias("sana.GpuUnavailableException")]
public sealed class GpuUnavailableException : Exception
{
    public GpuUnavailableException() { }

    public GpuUnavailableException(string message) : base(message) { }

    public GpuUnavailableException(string message, Exception innerException) : base(message, innerException) { }

    public GpuUnavailableException(string gpuId, string reason, TimeSpan retryAfter)
        : base($"{gpuId} is unhealthy ({reason}); next health probe in {retryAfter.TotalSeconds:0.#} s")
    {
        GpuId = gpuId;
        RetryAfter = retryAfter;
    }

    [Id(0)] public string? GpuId { get; init; }

    [Id(1)] public TimeSpan RetryAfter { get; init; }
}
