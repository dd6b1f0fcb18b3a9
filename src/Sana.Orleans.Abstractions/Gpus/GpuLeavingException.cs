namespace Sana.Orleans.Gpus;

/// <summary>
/// A GPU grain handed a chunk back because its silo is stopping: none of the chunk's images were stored by it, and the
/// job should give them to another GPU at once (this is not a failure of the GPU and does not count against it).
/// </summary>
[GenerateSerializer]
[Alias("sana.GpuLeavingException")]
public sealed class GpuLeavingException : Exception
{
    public GpuLeavingException() { }

    public GpuLeavingException(string message) : base(message) { }

    public GpuLeavingException(string message, Exception innerException) : base(message, innerException) { }

    public GpuLeavingException(string gpuId, string jobId)
        : base($"{gpuId} is leaving (its silo is stopping): job {jobId}'s chunk is handed back") => GpuId = gpuId;

    [Id(0)] public string? GpuId { get; init; }
}
