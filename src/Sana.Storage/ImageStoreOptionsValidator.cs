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
            case ImageStoreKind.AzureBlob:
                if (string.IsNullOrWhiteSpace(options.ConnectionString) && options.ServiceUri is null)
                {
                    failures.Add($"{Prefix}ConnectionString or {Prefix}ServiceUri: the AzureBlob store needs one of them");
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
