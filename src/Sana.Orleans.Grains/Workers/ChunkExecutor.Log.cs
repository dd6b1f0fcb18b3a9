using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Grains.Workers;

internal sealed partial class ChunkExecutor
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "{GpuId}: out of memory on job {JobId} with micro-batch {MicroBatch}; retrying with {Halved}: {Reason}")]
    private static partial void LogOutOfMemory(ILogger logger, string gpuId, string jobId, int microBatch, int halved, string reason);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, Message = "{GpuId}: job {JobId} image {ImageIndex} (seed {Seed}) stored as {ImageReference}")]
    private static partial void LogStored(ILogger logger, string gpuId, string jobId, int imageIndex, ulong seed, string imageReference);
}
