namespace Sana.TestSupport;

/// <summary>
/// Finds Azurite's entry script. Tests that need Azurite fail (never skip) when it is missing, with the command to run,
/// so a CI that forgot to install it goes red instead of quietly testing less.
/// </summary>
public static class AzuriteLocator
{
    /// <summary>Environment variable that points at azurite's main script (…/node_modules/azurite/dist/src/azurite.js).</summary>
    public const string EnvironmentVariable = "SANA_AZURITE_JS";

    private static readonly string RelativeScript = Path.Combine("node_modules", "azurite", "dist", "src", "azurite.js");

    /// <summary>The path of azurite.js, from <see cref="EnvironmentVariable"/> or .ci/azurite above the test's folder.</summary>
    /// <exception cref="InvalidOperationException">Azurite is not installed; the message says how to install it.</exception>
    public static string FindScript()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? fromEnvironment
                : throw new InvalidOperationException($"{EnvironmentVariable}='{fromEnvironment}' does not exist.");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".ci", "azurite", RelativeScript);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "Azurite is not installed. Run `bash .ci/install-azurite.sh` at the repository root "
            + "(npm install --prefix .ci/azurite), or set " + EnvironmentVariable + " to azurite.js.");
    }

    /// <summary>The node executable: NODE, else node on PATH.</summary>
    public static string FindNode()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("NODE");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? "node.exe" : "node");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("node is not on PATH; Azurite needs Node.js (apt-get install -y nodejs npm).");
    }
}
