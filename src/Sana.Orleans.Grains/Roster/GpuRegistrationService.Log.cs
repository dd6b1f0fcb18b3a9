using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Grains.Roster;

internal sealed partial class GpuRegistrationService
{
    [LoggerMessage(EventId = 2051, Level = LogLevel.Information, Message = "Silo {SiloName}: registered {Ready} of {Configured} GPU workers")]
    private static partial void LogRegistered(ILogger logger, string siloName, int ready, int configured);

    [LoggerMessage(EventId = 2052, Level = LogLevel.Error, Message = "GPU worker {GpuId} failed to start; it is listed as unhealthy until its health probe loads the model")]
    private static partial void LogWorkerFailed(ILogger logger, Exception exception, string gpuId);

    [LoggerMessage(EventId = 2053, Level = LogLevel.Warning, Message = "Silo {SiloName}: registering GPUs with the directory failed")]
    private static partial void LogRegisterFailed(ILogger logger, Exception exception, string siloName);
}
