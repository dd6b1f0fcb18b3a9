using Azure;

namespace Sana.Storage;

/// <summary>
/// Blob URIs that may carry a SAS token in their query. A SAS is a password: it is split off into an
/// <see cref="AzureSasCredential"/> before a client is built (so no client's <c>Uri</c>, no image reference and no
/// exception message contains it), and every URI that is printed goes through <see cref="Redact(Uri?)"/> first.
/// </summary>
public static class BlobUris
{
    /// <summary>What stands in for a query string in printed URIs.</summary>
    public const string RedactedQuery = "?<redacted>";

    /// <summary>The URI with its query (a SAS, or anything else) replaced by <see cref="RedactedQuery"/>.</summary>
    public static string Redact(Uri? uri)
    {
        if (uri is null)
        {
            return "";
        }

        if (!uri.IsAbsoluteUri)
        {
            return Redact(uri.OriginalString);
        }

        var bare = uri.GetLeftPart(UriPartial.Path);
        return string.IsNullOrEmpty(uri.Query) ? bare : bare + RedactedQuery;
    }

    /// <summary>Text that may be a URI with a SAS, redacted the same way: everything from the first '?' is replaced.</summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var q = text.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? text : text[..q] + RedactedQuery;
    }

    /// <summary>The URI without its query, and the query as a SAS credential when it holds a signature ("sig=").</summary>
    public static (Uri Bare, AzureSasCredential? Sas) SplitSas(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var bare = new Uri(uri.GetLeftPart(UriPartial.Path));
        var query = uri.Query.TrimStart('?');
        return HasSignature(query) ? (bare, new AzureSasCredential(query)) : (bare, null);
    }

    /// <summary>The permissions ("sp=") a SAS query grants, or null when it names none (a stored access policy).</summary>
    public static string? SasPermissions(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        foreach (var part in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("sp=", StringComparison.Ordinal))
            {
                return Uri.UnescapeDataString(part[3..]);
            }
        }

        return null;
    }

    private static bool HasSignature(string query) =>
        query.Split('&', StringSplitOptions.RemoveEmptyEntries).Any(p => p.StartsWith("sig=", StringComparison.Ordinal));
}
