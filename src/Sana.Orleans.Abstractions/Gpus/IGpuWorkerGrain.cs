namespace Sana.Orleans.Gpus;

/// <summary>
/// One GPU (or CPU worker) of one silo, keyed "{siloName}/gpu{n}" (see <see cref="GpuKey"/>). It owns one loaded model
/// and runs one chunk at a time; chunks of several jobs wait their turn round-robin by job.
/// </summary>
[Alias("sana.IGpuWorkerGrain")]
public interface IGpuWorkerGrain : IGrainWithStringKey
{
    /// <summary>Loads the model (once) and describes the GPU; fails when the model cannot be loaded.</summary>
    [ResponseTimeout("00:30:00")]
    [Alias("Start")]
    Task<GpuDescriptor> Start();

    /// <summary>
    /// Generates, encodes and stores the chunk's images. Out-of-memory halves the micro-batch and retries; cancelling
    /// stops between denoising steps. A bad setting fails with <see cref="Jobs.JobRequestException"/>.
    /// </summary>
    [ResponseTimeout("1.00:00:00")]
    [Alias("RunChunk")]
    Task<ChunkResult> RunChunk(ChunkRequest chunk, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancels every chunk of <paramref name="jobId"/> here, running or queued, and completes once none of them runs:
    /// a cancelled job can tell its caller that the GPUs have stopped, not merely that it asked them to.
    /// </summary>
    [AlwaysInterleave]
    [Alias("CancelJob")]
    Task CancelJob(string jobId);

    [AlwaysInterleave]
    [Alias("GetStatus")]
    Task<GpuWorkerStatus> GetStatus();
}
