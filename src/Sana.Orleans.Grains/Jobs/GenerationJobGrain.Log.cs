using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Grains.Jobs;

internal sealed partial class GenerationJobGrain
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Job {JobId}: submitted, {Count} images on model {Model}")]
    private static partial void LogSubmitted(ILogger logger, string jobId, int count, string model);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Job {JobId}: resuming with {Done} of {Count} images done")]
    private static partial void LogResuming(ILogger logger, string jobId, int done, int count);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Job {JobId}: this activation ends with {Done} of {Count} images done ({Reason}); the next one resumes the job")]
    private static partial void LogHandingOver(ILogger logger, string jobId, int done, int count, DeactivationReasonCode reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Job {JobId}: completed {Count} images in {Seconds:F1}s")]
    private static partial void LogCompleted(ILogger logger, string jobId, int count, double seconds);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Job {JobId}: cancelled with {Done} of {Count} images done")]
    private static partial void LogCancelled(ILogger logger, string jobId, int done, int count);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "Job {JobId}: failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string jobId, string error);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Job {JobId}: chunk on {GpuId} failed; its images go to other GPUs")]
    private static partial void LogChunkFailed(ILogger logger, Exception exception, string jobId, string gpuId);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Job {JobId}: no usable GPU for {Pending} waiting images; waiting")]
    private static partial void LogNoGpu(ILogger logger, string jobId, int pending);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Job {JobId}: asking the GPU directory failed")]
    private static partial void LogDirectoryFailed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Job {JobId}: writing state failed")]
    private static partial void LogStateWriteFailed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Job {JobId}: removing the resume reminder failed")]
    private static partial void LogReminderFailed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning, Message = "Job {JobId}: stopping its chunks on {GpuId} failed")]
    private static partial void LogStopFailed(ILogger logger, Exception exception, string jobId, string gpuId);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Warning, Message = "Job {JobId}: renewing or releasing its admission failed")]
    private static partial void LogAdmissionFailed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Information, Message = "Job {JobId}: {GpuId} is unavailable, skipped until its probe: {Reason}")]
    private static partial void LogGpuUnavailable(ILogger logger, string jobId, string gpuId, string reason);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Information, Message = "Job {JobId}: {GpuId} is leaving (its silo stops) and handed its chunk back; its images go to other GPUs now")]
    private static partial void LogHandedBack(ILogger logger, string jobId, string gpuId);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Warning, Message = "Job {JobId}: writing its manifest failed (attempt {Attempt}); trying again")]
    private static partial void LogManifestRetry(ILogger logger, Exception exception, string jobId, int attempt);
}
