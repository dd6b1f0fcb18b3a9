namespace Sana.Cli.Commands;

/// <summary>
/// The in-process cluster's --out, checked before a silo starts: a folder the store cannot write would otherwise
/// fail every image of the job. Nothing is created: a missing folder is checked at its nearest existing parent.
/// </summary>
internal static class OutputFolder
{
    /// <summary>Why images cannot be written under <paramref name="path"/>, or null when they can.</summary>
    public static string? WhyNotWritable(string path)
    {
        var full = Path.GetFullPath(path);
        var existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                return $"'{existing}' is a file, not a folder";
            }

            existing = Path.GetDirectoryName(existing);
            if (existing is null)
            {
                return $"'{full}' has no existing parent folder";
            }
        }

        // A probe file that deletes itself on close: permissions, read-only mounts and full disks all show here.
        var probe = Path.Combine(existing, $".sana-write-check-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot write in '{existing}': {e.Message}";
        }
    }
}
