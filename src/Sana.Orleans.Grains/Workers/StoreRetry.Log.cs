using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Grains.Workers;

internal sealed partial class StoreRetry
{
    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Storing image {Index} of job {JobId} failed (attempt {Attempt}); retrying in {DelayMs} ms: {Error}")]
    private static partial void LogRetryCore(ILogger logger, string jobId, int index, int attempt, double delayMs, string error);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Error, Message = "Storing image {Index} of job {JobId} failed {Attempt} times; giving the chunk back: {Error}")]
    private static partial void LogGaveUp(ILogger logger, string jobId, int index, int attempt, string error);
}
