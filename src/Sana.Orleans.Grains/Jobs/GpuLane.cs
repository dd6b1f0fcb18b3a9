namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// One chunk slot of a GPU for a job: a GPU with <see cref="SanaGrainsOptions.ChunksInFlightPerGpu"/> lanes holds
/// that many chunks of the job, the later ones queued behind the first on its worker. A GPU id converts to its first
/// lane, so a GPU with one lane is addressed by its id.
/// </summary>
internal readonly record struct GpuLane(string GpuId, int Index = 0)
{
    public static implicit operator GpuLane(string gpuId) => new(gpuId);

    /// <summary>The GPU id for the first lane, "id#2" for the second, ... (logs and traces).</summary>
    public override string ToString() => Index == 0 ? GpuId : $"{GpuId}#{Index + 1}";
}
