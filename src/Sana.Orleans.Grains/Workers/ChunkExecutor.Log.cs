using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Grains.Workers;

internal sealed partial class ChunkExecutor
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "{GpuId}: out of memory on job {JobId} with micro-batch {MicroBatch}; retrying with {Halved}: {Reason}")]
    private static partial void LogOutOfMemory(ILogger logger, string gpuId, string jobId, int microBatch, int halved, string reason);
}
