using Microsoft.Extensions.Options;

namespace Sana.Storage;

/// <summary>
/// Rejects an unusable store configuration when the host starts, naming the configuration key, instead of letting the
/// first finished image fail deep inside a GPU grain.
/// </summary>
public sealed class ImageStoreOptionsValidator : IValidateOptions<ImageStoreOptions>
{
    private const string Prefix = ImageStoreOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, ImageStoreOptions options)
    {
        var failures = new List<string>();
        switch (options.Kind)
        {
            case ImageStoreKind.File:
                if (string.IsNullOrWhiteSpace(options.Path))
                {
                    failures.Add($"{Prefix}Path: the file store needs a folder");
                }

                break;
            case ImageStoreKind.AzureBlob when options.ContainerUri is not null:
                failures.AddRange(ContainerUriProblems(options));
                break;
            case ImageStoreKind.AzureBlob:
                if (string.IsNullOrWhiteSpace(options.ConnectionString) && options.ServiceUri is null)
                {
                    failures.Add($"{Prefix}ConnectionString, {Prefix}ServiceUri or {Prefix}ContainerUri: the AzureBlob store needs one of them");
                }

                if (options.ServiceUri is { IsAbsoluteUri: false })
                {
                    failures.Add($"{Prefix}ServiceUri: '{options.ServiceUri}' is not an absolute URI");
                }

                if (!IsValidContainerName(options.ContainerName))
                {
                    failures.Add($"{Prefix}ContainerName: '{options.ContainerName}' is not a valid container name "
                        + "(3-63 lowercase letters, digits and single hyphens, starting with a letter or digit)");
                }

                break;
            default:
                failures.Add($"{Prefix}Kind: '{options.Kind}' is not File or AzureBlob");
                break;
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Problems of a <see cref="ImageStoreOptions.ContainerUri"/>, printed without its query (the SAS).</summary>
    private static IEnumerable<string> ContainerUriProblems(ImageStoreOptions options)
    {
        var uri = options.ContainerUri!;
        var shown = BlobUris.Redact(uri);
        if (!string.IsNullOrWhiteSpace(options.ConnectionString) || options.ServiceUri is not null)
        {
            yield return $"{Prefix}ContainerUri: set it alone, without {Prefix}ConnectionString or {Prefix}ServiceUri";
        }

        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            yield return $"{Prefix}ContainerUri: '{shown}' is not an http(s) URI";
            yield break;
        }

        var builder = new Azure.Storage.Blobs.BlobUriBuilder(uri);
        if (!IsValidContainerName(builder.BlobContainerName) || !string.IsNullOrEmpty(builder.BlobName))
        {
            yield return $"{Prefix}ContainerUri: '{shown}' does not name a container (https://<account>.blob.core.windows.net/<container>?<sas>)";
        }

        if (BlobUris.SasPermissions(uri) is { } permissions && !permissions.Contains('w', StringComparison.Ordinal))
        {
            yield return $"{Prefix}ContainerUri: its SAS grants '{permissions}' but storing images needs 'w' (write); "
                + "generate it with at least 'rwl'";
        }
    }

    internal static bool IsValidContainerName(string? name)
    {
        if (name is null || name.Length is < 3 or > 63)
        {
            return false;
        }

        if (!(char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0])) || name[^1] == '-' || name.Contains("--", StringComparison.Ordinal))
        {
            return false;
        }

        return name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
    }
}
