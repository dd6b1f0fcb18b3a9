using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Silo.Web;

public sealed partial class GpuHistorySampler
{
    [LoggerMessage(EventId = 3151, Level = LogLevel.Warning, Message = "GPU page history: cannot list the cluster's GPUs; the charts have a gap until it can")]
    private static partial void LogSamplingFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3152, Level = LogLevel.Information, Message = "GPU page history: sampling {GpuCount} GPUs again")]
    private static partial void LogSamplingResumed(ILogger logger, int gpuCount);
}
