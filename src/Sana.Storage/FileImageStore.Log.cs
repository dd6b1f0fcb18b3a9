using Microsoft.Extensions.Logging;

namespace Sana.Storage;

public sealed partial class FileImageStore
{
    [LoggerMessage(EventId = 1051, Level = LogLevel.Debug, Message = "Stored image {Index} of job {JobId} at {Path} ({Bytes} bytes)")]
    private partial void LogSaved(string jobId, int index, string path, int bytes);

    [LoggerMessage(EventId = 1052, Level = LogLevel.Warning, Message = "Could not delete the temp file {Path} of a failed save")]
    private partial void LogTempNotDeleted(string path, Exception exception);
}
