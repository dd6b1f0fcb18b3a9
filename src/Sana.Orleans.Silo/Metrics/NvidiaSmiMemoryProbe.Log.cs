using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Silo.Metrics;

public sealed partial class NvidiaSmiMemoryProbe
{
    [LoggerMessage(EventId = 3051, Level = LogLevel.Debug, Message = "nvidia-smi at '{Path}' gave no memory sample; GPU memory gauges keep their last values")]
    private static partial void LogSampleFailed(ILogger logger, string path);
}
