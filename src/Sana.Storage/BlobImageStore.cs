using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;

namespace Sana.Storage;

/// <summary>
/// Images in an Azure Blob container, named by <see cref="ImageKey.Name"/>. A blob upload is atomic (a reader sees the
/// old blob, the new blob, or none) and overwrites, so a retried chunk replaces its images instead of adding copies.
/// References are blob URIs without any query: any holder of the container's credentials can read them, and a SAS the
/// store was given never leaks into them.
/// </summary>
public sealed partial class BlobImageStore : IImageStore
{
    private readonly BlobContainerClient _container;
    private readonly ILogger<BlobImageStore> _logger;
    private readonly bool _canCreateContainer;
    private readonly Lock _gate = new();
    private Task? _created;

    /// <param name="container">The container; pass a SAS as a credential, not in its URI (<see cref="BlobUris.SplitSas"/>).</param>
    /// <param name="logger">Where saves are logged.</param>
    /// <param name="canCreateContainer">
    /// False for a container SAS, which cannot create its container: the store then never tries, and a missing container
    /// is reported as such.
    /// </param>
    public BlobImageStore(BlobContainerClient container, ILogger<BlobImageStore> logger, bool canCreateContainer = true)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
        _logger = logger;
        _canCreateContainer = canCreateContainer;
    }

    /// <summary>The container's URI, without any query.</summary>
    public Uri ContainerUri => new(ContainerPath);

    private string ContainerPath => _container.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');

    /// <summary>
    /// Uploads the image, creating the container on first use. If the container was deleted while the process ran, the
    /// remembered "created" is stale: the upload's ContainerNotFound clears it, and the save creates the container again
    /// and uploads once more. A refusal (403) or a container the credential cannot create becomes an
    /// <see cref="ImageStoreAccessException"/> that says which and why, without any secret.
    /// </summary>
    public async Task<string> SaveAsync(ImageKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ImageKey.EnsureValidJobId(key.JobId);
        var blob = _container.GetBlobClient(key.Name);
        try
        {
            try
            {
                await UploadAsync(blob, key, content, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (IsContainerNotFound(e) && _canCreateContainer)
            {
                LogContainerGone(ContainerPath, key.Name);
                ForgetContainer();
                await UploadAsync(blob, key, content, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException e) when (AccessProblem(e, key) is { } problem)
        {
            throw new ImageStoreAccessException(problem, e);
        }

        LogSaved(key.JobId, key.Index, key.Name, content.Length);
        return blob.Uri.GetLeftPart(UriPartial.Path);
    }

    public async Task<string> SaveManifestAsync(string jobId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ImageKey.EnsureValidJobId(jobId);
        var blob = _container.GetBlobClient($"{jobId}/{IImageStore.ManifestName}");
        if (_canCreateContainer)
        {
            await EnsureContainerAsync().ConfigureAwait(false);
        }

        var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/jsonl" } };
        await blob.UploadAsync(BinaryData.FromBytes(content), options, cancellationToken).ConfigureAwait(false);
        return blob.Uri.GetLeftPart(UriPartial.Path);
    }

    private async Task UploadAsync(BlobClient blob, ImageKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (_canCreateContainer)
        {
            await EnsureContainerAsync().ConfigureAwait(false);
        }

        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = ContentTypeOf(key.Extension) },
        };
        await blob.UploadAsync(BinaryData.FromBytes(content), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Why storing cannot work with this credential or container, or null for errors worth retrying.</summary>
    private string? AccessProblem(RequestFailedException e, ImageKey key)
    {
        if (IsContainerNotFound(e))
        {
            return _canCreateContainer
                ? $"image store: container {ContainerPath} vanished again while storing '{key.Name}' (ContainerNotFound after re-creating it)"
                : $"image store: container {ContainerPath} does not exist, and a container SAS cannot create it: create the container first";
        }

        return e.Status == 403
            ? $"image store: storing '{key.Name}' in container {ContainerPath} was refused ({e.Status} {e.ErrorCode}): the credential "
                + "may not write blobs there (a container SAS needs the 'w' permission; an identity needs Storage Blob Data Contributor)"
            : null;
    }

    private static bool IsContainerNotFound(RequestFailedException e) =>
        string.Equals(e.ErrorCode, BlobErrorCode.ContainerNotFound.ToString(), StringComparison.Ordinal);

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

        var prefix = ContainerPath + "/";
        var text = uri.GetLeftPart(UriPartial.Path);
        return text.StartsWith(prefix, StringComparison.Ordinal)
            ? Uri.UnescapeDataString(text[prefix.Length..])
            : throw new ArgumentException($"image reference '{BlobUris.Redact(reference)}' is not in the container '{ContainerPath}'", nameof(reference));
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

    /// <summary>Drops the remembered create, so the next save creates the container again.</summary>
    private void ForgetContainer()
    {
        lock (_gate)
        {
            _created = null;
        }
    }

    private static string ContentTypeOf(string extension) => extension.ToLowerInvariant() switch
    {
        "png" => "image/png",
        "jpg" or "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    };
}
