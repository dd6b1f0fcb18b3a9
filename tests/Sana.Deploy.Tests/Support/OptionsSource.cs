using System.Text.RegularExpressions;

namespace Sana.Deploy.Tests.Support;

/// <summary>
/// Finds the options property a configuration key binds to by reading the source under src/ (no project reference,
/// so the deployment tests build on their own): a key "Sana:Silo:HttpPort" is valid when a class declares
/// SectionName = "Sana:Silo" and a public HttpPort property, or when some constant spells the whole key.
/// </summary>
internal static class OptionsSource
{
    private static readonly Lazy<IReadOnlyList<(string Path, string Text)>> Sources = new(() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.RepositoryRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (p, File.ReadAllText(p)))
            .ToList());

    /// <summary>Null when the key binds to something; otherwise why not.</summary>
    public static string? Problem(string configurationKey)
    {
        if (Sources.Value.Any(s => s.Text.Contains($"\"{configurationKey}\"", StringComparison.Ordinal)))
        {
            return null;
        }

        var cut = configurationKey.LastIndexOf(':');
        var section = configurationKey[..cut];
        var property = configurationKey[(cut + 1)..];
        var owners = Sources.Value.Where(s => s.Text.Contains($"SectionName = \"{section}\"", StringComparison.Ordinal)).ToList();
        if (owners.Count == 0)
        {
            return $"{configurationKey}: no options class under src/ has SectionName = \"{section}\"";
        }

        var declaration = new Regex($@"public\s+[\w<>\[\]?.,\s]+\s{Regex.Escape(property)}\s*\{{");
        return owners.Any(o => declaration.IsMatch(o.Text))
            ? null
            : $"{configurationKey}: {string.Join(", ", owners.Select(o => Path.GetFileName(o.Path)))} has no public {property} property";
    }
}
