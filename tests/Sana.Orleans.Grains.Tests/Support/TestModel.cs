namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>
/// The model the cluster tests run: the tiny real Sana export in tests/fixtures/tiny-sana/model (found by walking up
/// to the solution folder), and request sizes that suit it (its pixel factor is 4).
/// </summary>
public static class TestModel
{
    private static readonly Lazy<string> TinySana = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var model = Path.Combine(dir.FullName, "tests", "fixtures", "tiny-sana", "model");
            if (File.Exists(Path.Combine(dir.FullName, "Sana.Orleans.sln")))
            {
                return File.Exists(Path.Combine(model, "sana-model.json"))
                    ? model
                    : throw new FileNotFoundException($"tiny Sana model missing: {model} (made by tools/export)");
            }
        }

        throw new DirectoryNotFoundException("Sana.Orleans.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Folder => TinySana.Value;

    public const int Side = 32;

    public const int Steps = 3;
}
