namespace Sana.Orleans.Silo.Options;

/// <summary>
/// How the silo fetches its model when <c>Sana:ModelPath</c> is a blob folder URL (section <see cref="SectionName"/>):
/// before any worker loads it, the folder is downloaded into <see cref="CacheDirectory"/>, every file checked against
/// the SHA-256 its manifest lists, and moved into place whole; a cached copy that still checks out is used as it is.
/// </summary>
public sealed class ModelDownloadOptions
{
    public const string SectionName = "Sana:ModelDownload";

    /// <summary>
    /// Where downloaded models are kept, one folder per model version ("{name}-{first 16 hex of the manifest's
    /// SHA-256}"). Default: sana-models under the OS temp folder; the VMs use /var/lib/sana/models, which survives reboots.
    /// </summary>
    public string CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "sana-models");

    /// <summary>
    /// A storage connection string (development, Azurite, account keys) for the account of the model URL; the URL still
    /// names the container and folder. Without it the URL's own SAS query is the credential, else DefaultAzureCredential
    /// (the VM's managed identity).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Optional SHA-256 (64 hex digits) of the model's sana-model.json: pins one exact model (its manifest lists every
    /// other file's SHA-256). A cached copy of the pinned model is then used without asking storage at all.
    /// </summary>
    public string? ManifestSha256 { get; set; }

    /// <summary>
    /// How long to wait for a model that is not there yet (sana-model.json missing, or access not granted yet: a role
    /// assignment takes minutes to reach a new VM) before giving up. Zero, the default, gives up at once.
    /// </summary>
    public TimeSpan WaitForUpload { get; set; } = TimeSpan.Zero;

    /// <summary>How often to look again while waiting (<see cref="WaitForUpload"/>).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Parallel transfers: files at once, and ranges of one large file at once.</summary>
    public int MaxConcurrency { get; set; } = 8;
}
