using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Silo.ModelCache;

public sealed partial class BlobModelDownloader
{
    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Model {Source}: downloading {Files} files ({Bytes} bytes) into {Folder}")]
    private partial void LogDownloading(string source, int files, long bytes, string folder);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Model {Source}: {Files} files ({Bytes} bytes) downloaded and checked in {Seconds:0.00} s: {Folder}")]
    private partial void LogDownloaded(string source, int files, long bytes, double seconds, string folder);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Model {Source}: the cached copy {Folder} checks out ({Seconds:0.00} s); nothing downloaded")]
    private partial void LogReused(string source, string folder, double seconds);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Cached model {Folder} is damaged ({Problem}); it is removed and downloaded again")]
    private partial void LogCacheDamaged(string folder, string problem);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "Removed {Folder}, a download a crash left unfinished")]
    private partial void LogAbandonedRemoved(string folder);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Warning, Message = "Waiting for model {Source}: {Reason}; trying again until {Deadline:u}")]
    private partial void LogWaiting(string source, string reason, DateTimeOffset deadline);
}
