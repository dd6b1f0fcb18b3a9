using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Sana.Storage;

/// <summary>
/// Images in a local folder, one subfolder per job. Each image is written to a hidden temp file in its final folder and
/// renamed into place, so a reader (or a crash) never sees a half-written PNG, and a retried save replaces the file whole.
/// References are absolute file paths, which the CLI can print and a user can open.
/// </summary>
public sealed partial class FileImageStore : IImageStore
{
    private const string TempSuffix = ".tmp";
    private readonly ILogger<FileImageStore> _logger;

    public FileImageStore(string root, ILogger<FileImageStore> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = System.IO.Path.GetFullPath(root);
        _logger = logger;
    }

    /// <summary>The absolute folder images go under.</summary>
    public string Root { get; }

    public async Task<string> SaveAsync(ImageKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ImageKey.EnsureValidJobId(key.JobId);
        var path = PathOf(key);
        var folder = System.IO.Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (CannotHeal(e) || e is DirectoryNotFoundException)
        {
            // CreateDirectory makes every missing parent, so "not found" means a part of the path is a file.
            throw new ImageStoreAccessException($"cannot create the image folder {folder}: {e.Message}", e);
        }

        await WriteWholeAsync(path, content, cancellationToken).ConfigureAwait(false);
        LogSaved(key.JobId, key.Index, path, content.Length);
        return path;
    }

    /// <summary>
    /// File-system errors that waiting does not fix (read-only, not a folder, no permission, disk or quota full): the
    /// save fails at once instead of being retried for the store's retry budget.
    /// </summary>
    private static bool CannotHeal(Exception e) => e is UnauthorizedAccessException
        || (e is IOException && OperatingSystem.IsLinux() && e.HResult is ReadOnlyFileSystem or NotADirectory or NoSpaceLeft or QuotaExceeded or FileExists);

    // Linux errno values, which .NET reports as an IOException's HResult.
    private const int FileExists = 17;
    private const int NotADirectory = 20;
    private const int NoSpaceLeft = 28;
    private const int ReadOnlyFileSystem = 30;
    private const int QuotaExceeded = 122;

    public async Task<string> SaveManifestAsync(string jobId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ImageKey.EnsureValidJobId(jobId);
        var folder = System.IO.Path.Combine(Root, jobId);
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.Combine(folder, IImageStore.ManifestName);
        await WriteWholeAsync(path, content, cancellationToken).ConfigureAwait(false);
        return path;
    }

    /// <summary>Writes a file so that a reader (or a crash) sees the old one or the new one whole, never a part.</summary>
    private async Task WriteWholeAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var folder = System.IO.Path.GetDirectoryName(path)!;
        // Hidden (leading dot) and unique, in the same folder so the rename is atomic on one file system.
        var temp = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(temp);
            if (CannotHeal(e))
            {
                throw new ImageStoreAccessException($"cannot write {path}: {e.Message}", e);
            }

            throw;
        }

    }

    public async Task<byte[]?> ReadAsync(string reference, CancellationToken cancellationToken)
    {
        var path = Resolve(reference);
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public async IAsyncEnumerable<ImageKey> ListAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ImageKey.EnsureValidJobId(jobId);
        var folder = System.IO.Path.Combine(Root, jobId);
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        var keys = new List<ImageKey>();
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ImageKey.TryParse($"{jobId}/{System.IO.Path.GetFileName(file)}", out var key))
            {
                keys.Add(key);
            }
        }

        keys.Sort((a, b) => a.Index.CompareTo(b.Index));
        foreach (var key in keys)
        {
            yield return key;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>The file an image lives in.</summary>
    public string PathOf(ImageKey key) => System.IO.Path.Combine(Root, key.Name.Replace('/', System.IO.Path.DirectorySeparatorChar));

    /// <summary>An absolute path inside <see cref="Root"/>, or a key name relative to it; anything outside is refused.</summary>
    private string Resolve(string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        var full = System.IO.Path.GetFullPath(System.IO.Path.IsPathRooted(reference) ? reference : System.IO.Path.Combine(Root, reference));
        var rootWithSeparator = Root.EndsWith(System.IO.Path.DirectorySeparatorChar) ? Root : Root + System.IO.Path.DirectorySeparatorChar;
        return full.StartsWith(rootWithSeparator, StringComparison.Ordinal)
            ? full
            : throw new ArgumentException($"image reference '{reference}' is outside the image folder '{Root}'", nameof(reference));
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException e)
        {
            LogTempNotDeleted(path, e);
        }
        catch (UnauthorizedAccessException e)
        {
            LogTempNotDeleted(path, e);
        }
    }
}
