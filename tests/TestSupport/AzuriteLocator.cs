namespace Sana.TestSupport;

/// <summary>
/// Finds Azurite's entry script, installing Azurite into .ci/azurite on first use (<see cref="TestInstalls"/>). Tests
/// that need Azurite fail (never skip) when that install fails, with the command to run, so a CI that cannot install it
/// goes red instead of quietly testing less.
/// </summary>
public static class AzuriteLocator
{
    /// <summary>Environment variable that points at azurite's main script (…/node_modules/azurite/dist/src/azurite.js).</summary>
    public const string EnvironmentVariable = "SANA_AZURITE_JS";

    private static string Folder => Path.Combine(TestInstalls.RepositoryRoot, ".ci", "azurite", "node_modules");

    private static string Script => Path.Combine(Folder, "azurite", "dist", "src", "azurite.js");

    /// <summary>True when .ci/install-azurite.sh finished: it writes the marker last, so a half-finished npm tree counts as missing.</summary>
    internal static bool IsInstalled => File.Exists(Script) && File.Exists(Path.Combine(Folder, ".sana-installed"));

    /// <summary>The path of azurite.js, from <see cref="EnvironmentVariable"/> or .ci/azurite (installed when missing).</summary>
    /// <exception cref="InvalidOperationException">Azurite could not be installed; the message says why and what to run.</exception>
    public static async Task<string> FindScriptAsync(CancellationToken cancellationToken = default)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? fromEnvironment
                : throw new InvalidOperationException($"{EnvironmentVariable}='{fromEnvironment}' does not exist.");
        }

        await TestInstalls.AzuriteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return Script;
    }

    /// <summary>The node executable: NODE, else node on PATH.</summary>
    public static string FindNode()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("NODE");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }

        return TestInstalls.OnPath(OperatingSystem.IsWindows() ? "node.exe" : "node")
            ?? throw new InvalidOperationException("node is not on PATH; Azurite needs Node.js 20 or later (with npm).");
    }
}
