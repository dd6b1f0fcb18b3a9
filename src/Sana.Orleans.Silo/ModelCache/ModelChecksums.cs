using System.Security.Cryptography;
using Sana.Inference.Model;

namespace Sana.Orleans.Silo.ModelCache;

/// <summary>Checks local model files against the SHA-256 and size the manifest lists for them.</summary>
public static class ModelChecksums
{
    /// <summary>Lowercase hex SHA-256 of a file, read sequentially in large blocks.</summary>
    public static async Task<string> Sha256OfFileAsync(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// Null when the file under <paramref name="folder"/> matches its entry; otherwise one line naming the file with the
    /// expected and actual SHA-256 (and sizes when they differ), or saying that it is missing.
    /// </summary>
    public static async Task<string?> ProblemAsync(string folder, ModelFileEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var path = Path.Combine(folder, entry.Path.Replace('/', Path.DirectorySeparatorChar));
        if (!File.Exists(path))
        {
            return $"model file '{entry.Path}' is missing";
        }

        var size = new FileInfo(path).Length;
        var actual = await Sha256OfFileAsync(path, cancellationToken).ConfigureAwait(false);
        if (string.Equals(actual, entry.Sha256, StringComparison.OrdinalIgnoreCase) && size == entry.Size)
        {
            return null;
        }

        var sizes = size == entry.Size ? "" : $" ({size} bytes, expected {entry.Size})";
        return $"model file '{entry.Path}' fails its checksum: sha256 expected {entry.Sha256.ToLowerInvariant()}, actual {actual}{sizes}";
    }

    /// <summary>The first problem among <paramref name="files"/> (checked in parallel), or null when all match.</summary>
    public static async Task<string?> FirstProblemAsync(string folder, IReadOnlyList<ModelFileEntry> files, int parallelism, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        var problems = new string?[files.Count];
        await Parallel.ForAsync(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, token) => problems[i] = await ProblemAsync(folder, files[i], token).ConfigureAwait(false)).ConfigureAwait(false);
        return problems.FirstOrDefault(p => p is not null);
    }
}
