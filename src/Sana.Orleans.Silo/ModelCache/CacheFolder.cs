using System.Text;

namespace Sana.Orleans.Silo.ModelCache;

/// <summary>
/// The layout of the model cache and its crash safety. A model version lives in "{name}-{first 16 hex of its manifest's
/// SHA-256}"; that folder only ever appears by one rename of a finished, checked download, so a folder under that name
/// is complete (a later check still re-hashes it). Downloads happen in ".partial-{id}", held by an exclusive lock on
/// ".partial-{id}.lock" for as long as the download runs: a partial folder whose lock nobody holds was left by a crash
/// (or a damaged copy set aside) and is deleted, never read.
/// </summary>
internal sealed class CacheFolder : IDisposable
{
    public const string PartialPrefix = ".partial-";
    private const string LockSuffix = ".lock";
    private readonly FileStream _lock;
    private bool _committed;

    private CacheFolder(string path, FileStream heldLock)
    {
        Path = path;
        _lock = heldLock;
    }

    /// <summary>The partial folder files are downloaded into.</summary>
    public string Path { get; }

    /// <summary>The final folder name of a model version.</summary>
    public static string NameFor(string modelName, string manifestSha256)
    {
        var safe = new StringBuilder();
        foreach (var c in modelName)
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-');
        }

        var name = safe.ToString().TrimStart('.');
        name = name.Length == 0 ? "model" : name[..Math.Min(name.Length, 64)];
        return $"{name}-{manifestSha256[..16]}";
    }

    /// <summary>A new partial folder under <paramref name="root"/>, locked (the lock first, so no unlocked partial is ever live).</summary>
    public static CacheFolder StartPartial(string root)
    {
        var path = System.IO.Path.Combine(root, PartialPrefix + Guid.NewGuid().ToString("N"));
        var held = new FileStream(path + LockSuffix, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        try
        {
            Directory.CreateDirectory(path);
            return new CacheFolder(path, held);
        }
        catch
        {
            held.Dispose();
            File.Delete(path + LockSuffix);
            throw;
        }
    }

    /// <summary>
    /// Renames the partial folder to <paramref name="final"/> in one step (same file system). False when
    /// <paramref name="final"/> appeared meanwhile (another silo on this machine finished first); the partial is then
    /// deleted on dispose.
    /// </summary>
    public bool TryCommit(string final)
    {
        try
        {
            Directory.Move(Path, final);
            _committed = true;
            return true;
        }
        catch (IOException) when (Directory.Exists(final))
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_committed)
        {
            TryDeleteFolder(Path);
        }

        _lock.Dispose();
        TryDeleteFile(Path + LockSuffix);
    }

    /// <summary>Deletes the partial folders under <paramref name="root"/> that no running download holds; returns them.</summary>
    public static IReadOnlyList<string> RemoveAbandoned(string root)
    {
        var removed = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(root, PartialPrefix + "*"))
        {
            var lockPath = dir + LockSuffix;
            try
            {
                if (File.Exists(lockPath))
                {
                    // Throws while the downloading process holds it (FileShare.None is an flock on Unix).
                    using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                }

                Directory.Delete(dir, recursive: true);
                TryDeleteFile(lockPath);
                removed.Add(dir);
            }
            catch (IOException)
            {
                // Another silo on this machine is downloading into it.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to delete.
            }
        }

        return removed;
    }

    /// <summary>
    /// Takes a damaged final folder out of use: renamed to an unlocked partial first (so a crash halfway through the
    /// delete leaves nothing that looks like a model), then deleted.
    /// </summary>
    public static void Discard(string root, string folder)
    {
        var aside = System.IO.Path.Combine(root, PartialPrefix + Guid.NewGuid().ToString("N") + "-discarded");
        Directory.Move(folder, aside);
        TryDeleteFolder(aside);
    }

    private static void TryDeleteFolder(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left as an unlocked partial: the next start removes it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
