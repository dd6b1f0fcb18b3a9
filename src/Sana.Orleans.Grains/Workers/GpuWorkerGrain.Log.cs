using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Grains.Workers;

internal sealed partial class GpuWorkerGrain
{
    [LoggerMessage(EventId = 2151, Level = LogLevel.Information, Message = "{GpuId}: loading model {ModelFolder} on {Device}")]
    private static partial void LogLoading(ILogger logger, string gpuId, string device, string modelFolder);

    [LoggerMessage(EventId = 2152, Level = LogLevel.Information, Message = "{GpuId}: transformer: {TransformerGraph}")]
    private static partial void LogTransformerGraph(ILogger logger, string gpuId, string transformerGraph);

    [LoggerMessage(EventId = 2153, Level = LogLevel.Information, Message = "{GpuId}: warmed up at micro-batch {MicroBatch} in {Seconds:F1}s")]
    private static partial void LogWarmedUp(ILogger logger, string gpuId, int microBatch, double seconds);

    [LoggerMessage(EventId = 2154, Level = LogLevel.Error, Message = "{GpuId}: model failed to load")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string gpuId);

    [LoggerMessage(EventId = 2155, Level = LogLevel.Debug, Message = "{GpuId}: job {JobId} chunk of {Images} images, micro-batch {MicroBatch}")]
    private static partial void LogChunkStarted(ILogger logger, string gpuId, string jobId, int images, int microBatch);

    [LoggerMessage(EventId = 2156, Level = LogLevel.Debug, Message = "{GpuId}: job {JobId} chunk of {Images} images done in {Seconds:F2}s")]
    private static partial void LogChunkFinished(ILogger logger, string gpuId, string jobId, int images, double seconds);

    [LoggerMessage(EventId = 2157, Level = LogLevel.Information, Message = "{GpuId}: job {JobId} chunk cancelled")]
    private static partial void LogChunkCancelled(ILogger logger, string gpuId, string jobId);

    [LoggerMessage(EventId = 2158, Level = LogLevel.Warning, Message = "{GpuId}: chunk of job {JobId} failed")]
    private static partial void LogChunkFailed(ILogger logger, Exception exception, string gpuId, string jobId);

    [LoggerMessage(EventId = 2159, Level = LogLevel.Error, Message = "{GpuId}: marked unhealthy: {Reason}")]
    private static partial void LogUnhealthy(ILogger logger, string gpuId, string reason);

    [LoggerMessage(EventId = 2160, Level = LogLevel.Warning, Message = "{GpuId}: health probe failed")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception, string gpuId);

    [LoggerMessage(EventId = 2161, Level = LogLevel.Information, Message = "{GpuId}: healthy again")]
    private static partial void LogRecovered(ILogger logger, string gpuId);

    [LoggerMessage(EventId = 2162, Level = LogLevel.Information, Message = "{GpuId}: silo stopping; job {JobId} chunk of {Images} images handed back")]
    private static partial void LogHandedBack(ILogger logger, string gpuId, string jobId, int images);
}
