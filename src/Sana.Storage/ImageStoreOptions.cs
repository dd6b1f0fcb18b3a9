namespace Sana.Storage;

/// <summary>Where images go.</summary>
public enum ImageStoreKind
{
    /// <summary>A local folder: the default, so one machine runs everything with no cloud account.</summary>
    File = 0,

    /// <summary>An Azure Blob container: what silos on several VMs share.</summary>
    AzureBlob = 1,
}

/// <summary>
/// The image store chosen by configuration (section <see cref="SectionName"/>), so the same silo binary writes to a
/// folder on a laptop and to a blob container in the cloud.
/// </summary>
public sealed class ImageStoreOptions
{
    public const string SectionName = "Sana:ImageStore";

    public ImageStoreKind Kind { get; set; } = ImageStoreKind.File;

    /// <summary>The folder of the file store; relative paths resolve against the current directory.</summary>
    public string Path { get; set; } = "images";

    /// <summary>Blob store: a storage connection string (Azurite, account keys, SAS). Wins over <see cref="ServiceUri"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Blob store: the account's blob endpoint, reached with DefaultAzureCredential (managed identity on a VM).</summary>
    public Uri? ServiceUri { get; set; }

    /// <summary>Blob store: the container; created when missing.</summary>
    public string ContainerName { get; set; } = "sana-images";

    /// <summary>
    /// Blob store: the container's own URI, instead of an account (<see cref="ConnectionString"/> or
    /// <see cref="ServiceUri"/>) plus <see cref="ContainerName"/>. With a SAS query
    /// (<c>https://acct.blob.core.windows.net/sana-images?sv=...&amp;sp=rwl&amp;sig=...</c>) the SAS is the credential:
    /// it needs write ('w'; 'r' and 'l' to read and list images back), the container must exist (a container SAS cannot
    /// create one), and the query is never logged or put into image references. Without a query,
    /// DefaultAzureCredential is used.
    /// </summary>
    public Uri? ContainerUri { get; set; }
}
