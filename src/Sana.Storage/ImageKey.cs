using System.Globalization;

namespace Sana.Storage;

/// <summary>
/// The deterministic name of image <see cref="Index"/> of a job: "{job}/{index:D6}-{seed}.{ext}". The same (job, index)
/// always maps to the same name, so a retried chunk overwrites instead of duplicating.
/// </summary>
public readonly record struct ImageKey(string JobId, int Index, ulong Seed, string Extension = "png")
{
    /// <summary>Longest job id a store accepts; keeps blob names and file paths well inside every limit.</summary>
    public const int MaxJobIdLength = 128;

    public string Name => string.Create(CultureInfo.InvariantCulture, $"{JobId}/{Index:D6}-{Seed}.{Extension}");

    /// <summary>
    /// Null when <paramref name="jobId"/> can name a folder and a blob prefix safely, else why not. Job ids become path
    /// segments, so anything that could climb out of the store's root ("..", separators) is refused up front.
    /// </summary>
    public static string? ValidateJobId(string? jobId)
    {
        if (string.IsNullOrWhiteSpace(jobId))
        {
            return "job id: must not be empty";
        }

        if (jobId.Length > MaxJobIdLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"job id: {jobId.Length} characters is more than {MaxJobIdLength}");
        }

        if (jobId[0] == '.')
        {
            return $"job id: '{jobId}' must not start with '.'";
        }

        foreach (var c in jobId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return $"job id: '{jobId}' may hold only ASCII letters, digits, '-', '_' and '.'";
            }
        }

        return null;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> with <see cref="ValidateJobId"/>'s message when the id is unsafe.</summary>
    public static void EnsureValidJobId(string? jobId)
    {
        if (ValidateJobId(jobId) is { } problem)
        {
            throw new ArgumentException(problem, nameof(jobId));
        }
    }

    /// <summary>Parses a name made by <see cref="Name"/> back into its key; false for anything else (temp files, strangers).</summary>
    public static bool TryParse(string name, out ImageKey key)
    {
        key = default;
        var slash = name.LastIndexOf('/');
        if (slash <= 0)
        {
            return false;
        }

        var jobId = name[..slash];
        var file = name.AsSpan(slash + 1);
        var dash = file.IndexOf('-');
        var dot = file.LastIndexOf('.');
        if (dash != 6 || dot <= dash + 1 || dot == file.Length - 1 || ValidateJobId(jobId) is not null
            || !int.TryParse(file[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !ulong.TryParse(file[(dash + 1)..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
        {
            return false;
        }

        key = new ImageKey(jobId, index, seed, file[(dot + 1)..].ToString());
        return key.Name == name;
    }
}
