namespace Sana.Deploy.Tests.Support;

/// <summary>
/// Files of the repository the tests read, found by walking up from the test binaries to the solution folder, so the
/// tests run from any working directory. A missing file fails the test that needs it, naming the path.
/// </summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string RepositoryRoot => Root.Value;

    public static string Deploy => Path.Combine(RepositoryRoot, "deploy");

    /// <summary>The full path of a repository file, failing if it is not there.</summary>
    public static string Require(params string[] relative)
    {
        var path = Path.Combine([RepositoryRoot, .. relative]);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"expected file missing: {path}", path);
        }

        return path;
    }

    public static string ReadText(params string[] relative) => File.ReadAllText(Require(relative));

    private static string FindRoot()
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
