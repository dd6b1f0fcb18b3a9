using Azure;
using Azure.Identity;
using Azure.Storage.Blobs;
using Sana.Storage;

namespace Sana.Orleans.Silo.ModelCache;

/// <summary>
/// <c>Sana:ModelPath</c> read: a local model folder (as always), or a folder in a blob container given as its URL,
/// <c>https://&lt;account&gt;.blob.core.windows.net/&lt;container&gt;/&lt;folder&gt;/</c> (Azurite:
/// <c>http://127.0.0.1:10000/devstoreaccount1/&lt;container&gt;/&lt;folder&gt;/</c>), optionally with a SAS query.
/// The SAS is split off into a credential at once; <see cref="Display"/> is the only form that is ever printed.
/// </summary>
public sealed class ModelLocation
{
    private ModelLocation(string? localPath, Uri? containerUri, string prefix, AzureSasCredential? sas)
    {
        LocalPath = localPath;
        ContainerUri = containerUri;
        Prefix = prefix;
        Sas = sas;
    }

    /// <summary>The local folder, when the model is not in blob storage.</summary>
    public string? LocalPath { get; }

    /// <summary>The container's URI without query or trailing slash, when the model is in blob storage.</summary>
    public Uri? ContainerUri { get; }

    /// <summary>The folder inside the container: "" (the container's root) or "name/" (always ending in '/').</summary>
    public string Prefix { get; }

    /// <summary>The SAS the URL carried, if any.</summary>
    public AzureSasCredential? Sas { get; }

    public bool IsBlob => ContainerUri is not null;

    /// <summary>Where the model is, printable: the folder's URL with any query shown as "?&lt;redacted&gt;", or the local path.</summary>
    public string Display => IsBlob
        ? $"{ContainerUri!.AbsoluteUri}/{Prefix}{(Sas is null ? "" : BlobUris.RedactedQuery)}"
        : LocalPath!;

    /// <summary>True for http(s) URLs: those are blob folders, anything else is a local path.</summary>
    public static bool IsUrl(string? value) =>
        value is not null
        && (value.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("http://", StringComparison.OrdinalIgnoreCase));

    /// <summary>Why <paramref name="value"/> is not a usable model location, or null; never prints a SAS.</summary>
    public static string? Problem(string value)
    {
        try
        {
            Parse(value);
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    /// <exception cref="FormatException">a URL that names no container; the message shows the URL redacted.</exception>
    public static ModelLocation Parse(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        if (!IsUrl(value))
        {
            return new ModelLocation(value, null, "", null);
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            throw new FormatException($"'{BlobUris.Redact(value)}' is not a valid URL");
        }

        var builder = new BlobUriBuilder(uri);
        if (string.IsNullOrEmpty(builder.BlobContainerName))
        {
            throw new FormatException($"'{BlobUris.Redact(uri)}' names no blob container: expected "
                + "https://<account>.blob.core.windows.net/<container>/<model folder>/");
        }

        var prefix = (builder.BlobName ?? "").Trim('/');
        var (_, sas) = BlobUris.SplitSas(uri);
        builder.BlobName = "";
        builder.Sas = null;
        builder.Query = null;
        var container = new Uri(builder.ToUri().GetLeftPart(UriPartial.Path).TrimEnd('/'));
        return new ModelLocation(null, container, prefix.Length == 0 ? "" : prefix + "/", sas);
    }

    /// <summary>
    /// The container client: the account of <paramref name="connectionString"/> when given (it must be the URL's
    /// account), else the URL's SAS, else DefaultAzureCredential (managed identity).
    /// </summary>
    public BlobContainerClient CreateContainerClient(string? connectionString, BlobClientOptions? options = null)
    {
        if (!IsBlob)
        {
            throw new InvalidOperationException($"the model at '{LocalPath}' is a local folder, not a blob folder");
        }

        var containerName = new BlobUriBuilder(ContainerUri!).BlobContainerName;
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            var service = new BlobServiceClient(connectionString, options);
            var account = service.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/";
            if (!ContainerUri!.AbsoluteUri.StartsWith(account, StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelDownloadException(
                    $"Sana:ModelDownload:ConnectionString is for the account at {account}, but Sana:ModelPath is {Display}: use a URL on that account");
            }

            return service.GetBlobContainerClient(containerName);
        }

        return Sas is not null
            ? new BlobContainerClient(ContainerUri, Sas, options)
            : new BlobContainerClient(ContainerUri, new DefaultAzureCredential(), options);
    }
}
