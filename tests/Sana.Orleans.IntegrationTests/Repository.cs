namespace Sana.Orleans.IntegrationTests;

/// <summary>Paths inside the repository the tests run from: the built silo executable and the tiny model.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The tiny real Sana export the processes serve (tests/fixtures/tiny-sana/model).</summary>
    public static string TinyModel => Path.Combine(Root, "tests", "fixtures", "tiny-sana", "model");

    /// <summary>
    /// sana-silo.dll of the same build configuration as these tests, from the silo executable's own output folder (its
    /// deps.json and runtimeconfig.json are there).
    /// </summary>
    public static string SiloAssembly
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Debug";
            var path = Path.Combine(Root, "src", "Sana.Orleans.Silo.Host", "bin", configuration, "net10.0", "sana-silo.dll");
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException($"{path} is missing: build src/Sana.Orleans.Silo.Host ({configuration}) first");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sana.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Sana.Orleans.sln not found above " + AppContext.BaseDirectory);
    }
}
