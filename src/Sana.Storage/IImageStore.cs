namespace Sana.Storage;

/// <summary>
/// Durable home of finished images. Names are deterministic per (job, index), so storing an image twice (a retried
/// chunk) overwrites it with identical bytes instead of making a second copy: exactly-once storage comes from that.
/// A reader never sees a half-written image: it sees the whole image or none.
/// </summary>
public interface IImageStore
{
    /// <summary>Stores the encoded image under <paramref name="key"/> and returns a reference a client can resolve.</summary>
    /// <exception cref="ArgumentException">the key's job id could escape the store (see <see cref="ImageKey.ValidateJobId"/>).</exception>
    Task<string> SaveAsync(ImageKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Reads back an image by the reference <see cref="SaveAsync"/> returned; null when absent.</summary>
    Task<byte[]?> ReadAsync(string reference, CancellationToken cancellationToken);

    /// <summary>Every stored image of a job, by key, in index order.</summary>
    IAsyncEnumerable<ImageKey> ListAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the job's manifest (<see cref="ManifestName"/>, JSON lines, one per image) beside its images, replacing an
    /// earlier one whole; returns a reference <see cref="ReadAsync"/> resolves.
    /// </summary>
    Task<string> SaveManifestAsync(string jobId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>The manifest's name in a job's folder; no image is named so (<see cref="ImageKey.TryParse"/> refuses it).</summary>
    public const string ManifestName = "manifest.jsonl";
}
