using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Silo.Api;

public sealed partial class JobsEndpoints
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "HTTP API: job {JobId} submitted, {Count} images (a replay of a known id: {Replay})")]
    private static partial void LogSubmitted(ILogger logger, string jobId, int count, bool replay);

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP API: cancel of job {JobId} asked; it is {State}")]
    private static partial void LogCancelled(ILogger logger, string jobId, JobState state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP API: image {ImageIndex} of job {JobId} is listed but not in this silo's image store")]
    private static partial void LogImageNotInStore(ILogger logger, string jobId, int imageIndex);
}

public sealed partial class JobEventStream
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "HTTP API: events of job {JobId} ended after {Images} images; the job is {State}")]
    private static partial void LogStreamEnded(ILogger logger, string jobId, int images, JobState state);

    [LoggerMessage(Level = LogLevel.Debug, Message = "HTTP API: the client of job {JobId}'s events left after {Images} images; its watch is stopped")]
    private static partial void LogClientLeft(ILogger logger, string jobId, int images);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP API: the watch behind job {JobId}'s events failed after {Images} images")]
    private static partial void LogStreamFailed(ILogger logger, Exception exception, string jobId, int images);
}

public sealed partial class ApiErrorFilter
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "HTTP API: {Method} {Path} answered {StatusCode}: {Error}")]
    private static partial void LogRejected(ILogger logger, string method, PathString path, int statusCode, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP API: {Method} {Path}: the cluster did not answer; 503")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string method, PathString path);
}
