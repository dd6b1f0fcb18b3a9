using System.Text.Json;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>
/// Appends one JSON line per reliability test run to artifacts/reliability.jsonl at the repository root (or the file
/// SANA_RELIABILITY_LOG names), the raw figures docs/reliability.md is made from.
/// </summary>
public static class ReliabilityLog
{
    private static readonly Lock Gate = new();

    public static string Path { get; } = Environment.GetEnvironmentVariable("SANA_RELIABILITY_LOG") is { Length: > 0 } path
        ? path
        : System.IO.Path.Combine(Root(), "artifacts", "reliability.jsonl");

    public static void Write(string suite, string test, object figures)
    {
        var line = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["at"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["suite"] = suite,
            ["test"] = test,
            ["figures"] = figures,
        });
        lock (Gate)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            File.AppendAllText(Path, line + Environment.NewLine);
        }
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Sana.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        return System.IO.Path.GetTempPath();
    }
}
