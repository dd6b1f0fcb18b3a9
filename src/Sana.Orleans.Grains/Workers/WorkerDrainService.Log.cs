using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Grains.Workers;

internal sealed partial class WorkerDrainService
{
    [LoggerMessage(EventId = 2251, Level = LogLevel.Information, Message = "Silo {SiloName}: stopping; {Running} chunk calls on its GPUs, running ones get {Seconds:F0}s to finish, queued ones go back to their jobs")]
    private static partial void LogDraining(ILogger logger, string siloName, int running, double seconds);

    [LoggerMessage(EventId = 2252, Level = LogLevel.Information, Message = "Silo {SiloName}: every chunk finished or was handed back")]
    private static partial void LogDrained(ILogger logger, string siloName);

    [LoggerMessage(EventId = 2253, Level = LogLevel.Warning, Message = "Silo {SiloName}: {Left} chunk calls had not left when the silo stopped; their jobs re-queue them when the silo is gone")]
    private static partial void LogDrainIncomplete(ILogger logger, string siloName, int left);

    [LoggerMessage(EventId = 2254, Level = LogLevel.Warning, Message = "Silo {SiloName}: taking its GPUs out of the directory failed")]
    private static partial void LogUnregisterFailed(ILogger logger, Exception exception, string siloName);
}
