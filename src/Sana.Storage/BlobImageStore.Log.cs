using Microsoft.Extensions.Logging;

namespace Sana.Storage;

public sealed partial class BlobImageStore
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Stored image {Index} of job {JobId} as blob {BlobName} ({Bytes} bytes)")]
    private partial void LogSaved(string jobId, int index, string blobName, int bytes);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Container {Container} is gone (deleted while this process ran); creating it again to store {BlobName}")]
    private partial void LogContainerGone(string container, string blobName);
}
