using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;

namespace Sana.Storage;

/// <summary>
/// Images in an Azure Blob container, named by <see cref="ImageKey.Name"/>. A blob upload is atomic (a reader sees the
/// old blob, the new blob, or none) and overwrites, so a retried chunk replaces its images instead of adding copies.
/// References are blob URIs: any holder of the container's credentials can read them.
/// </summary>
public sealed partial class BlobImageStore : IImageStore
{
    private readonly BlobContainerClient _container;
    private readonly ILogger<BlobImageStore> _logger;
    private readonly Lock _gate = new();
    private Task? _created;

    public BlobImageStore(BlobContainerClient container, ILogger<BlobImageStore> logger)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
        _logger = logger;
    }

    public Uri ContainerUri => _container.Uri;

    public async Task<string> SaveAsync(ImageKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ImageKey.EnsureValidJobId(key.JobId);
        await EnsureContainerAsync().ConfigureAwait(false);
        var blob = _container.GetBlobClient(key.Name);
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = ContentTypeOf(key.Extension) },
        };
        await blob.UploadAsync(BinaryData.FromBytes(content), options, cancellationToken).ConfigureAwait(false);
        LogSaved(key.JobId, key.Index, key.Name, content.Length);
        return blob.Uri.AbsoluteUri;
    }

    public async Task<byte[]?> ReadAsync(string reference, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient(BlobNameOf(reference));
        try
        {
            var result = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return result.Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async IAsyncEnumerable<ImageKey> ListAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ImageKey.EnsureValidJobId(jobId);
        var keys = new List<ImageKey>();
        try
        {
            await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = jobId + "/" }, cancellationToken).ConfigureAwait(false))
            {
                if (ImageKey.TryParse(item.Name, out var key))
                {
                    keys.Add(key);
                }
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No container yet: no images yet.
        }

        keys.Sort((a, b) => a.Index.CompareTo(b.Index));
        foreach (var key in keys)
        {
            yield return key;
        }
    }

    /// <summary>A blob URI inside this container, or a bare key name; anything else is refused.</summary>
    private string BlobNameOf(string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        if (!Uri.TryCreate(reference, UriKind.Absolute, out var uri) || uri.IsFile)
        {
            return reference;
        }

        var prefix = _container.Uri.AbsoluteUri.TrimEnd('/') + "/";
        var text = uri.GetLeftPart(UriPartial.Path);
        return text.StartsWith(prefix, StringComparison.Ordinal)
            ? Uri.UnescapeDataString(text[prefix.Length..])
            : throw new ArgumentException($"image reference '{reference}' is not in the container '{_container.Uri}'", nameof(reference));
    }

    /// <summary>
    /// Creates the container once per process, on first save, so a silo that stores nothing never touches storage. A failed
    /// create is not remembered: storage may come back (Azurite restarted, a network blip) and the next save tries again.
    /// </summary>
    private Task EnsureContainerAsync()
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = _container.CreateIfNotExistsAsync();
            }

            return _created;
        }
    }

    private static string ContentTypeOf(string extension) => extension.ToLowerInvariant() switch
    {
        "png" => "image/png",
        "jpg" or "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored image {Index} of job {JobId} as blob {BlobName} ({Bytes} bytes)")]
    private partial void LogSaved(string jobId, int index, string blobName, int bytes);
}
