namespace Sana.Deploy.Tests.Support;

/// <summary>Reads KEY=VALUE lines as systemd's EnvironmentFile does (comments and blank lines skipped).</summary>
internal static class EnvFile
{
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"not a KEY=VALUE line: '{line}'");
            values[line[..equals]] = line[(equals + 1)..];
        }

        return values;
    }
}
