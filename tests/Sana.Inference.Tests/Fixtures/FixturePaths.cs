namespace Sana.Inference.Tests.Fixtures;

/// <summary>
/// Where the recorded reference data lives (tests/fixtures/tiny-sana/reference, written by tools/export on a machine
/// with torch and diffusers). Found by walking up from the test binaries to the solution folder, so the tests run
/// from any working directory. A missing file is a failure that names it, never a skipped comparison.
/// </summary>
internal static class FixturePaths
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    public static string RepositoryRoot => Root.Value;

    public static string TinySana => Path.Combine(RepositoryRoot, "tests", "fixtures", "tiny-sana");

    public static string Reference => Path.Combine(TinySana, "reference");

    /// <summary>The path of a reference file, failing the test if it is not there.</summary>
    public static string RequireReference(string relativePath)
    {
        var path = Path.Combine(Reference, relativePath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"reference fixture missing: {path} (recorded from torch/diffusers by tools/export; see {Path.Combine(Reference, "README.md")})",
                path);
        }

        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sana.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Sana.Orleans.sln above {AppContext.BaseDirectory}");
    }
}
