using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Silo.Web;

public sealed partial class GpuHistorySampler
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "GPU page history: cannot list the cluster's GPUs; the charts have a gap until it can")]
    private static partial void LogSamplingFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "GPU page history: sampling {GpuCount} GPUs again")]
    private static partial void LogSamplingResumed(ILogger logger, int gpuCount);
}
