using Sana.Orleans.Grains.Tests.Support;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>Copies of the tiny model, intact or broken in one known way, in a temp folder the test owns.</summary>
public sealed class ModelFolders : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sana-models-").FullName;

    /// <summary>A copy of the tiny model, to break (and repair) without touching the fixture.</summary>
    public string Copy(string name)
    {
        var target = Path.Combine(_root, name);
        foreach (var file in Directory.EnumerateFiles(TestModel.Folder, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(TestModel.Folder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to, overwrite: true);
        }

        return target;
    }

    /// <summary>Puts back every file of the tiny model into <paramref name="folder"/>.</summary>
    public static void Repair(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(TestModel.Folder, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(folder, Path.GetRelativePath(TestModel.Folder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to, overwrite: true);
        }
    }

    public static void Delete(string folder, string relative) => File.Delete(Path.Combine(folder, relative));

    public static void Truncate(string folder, string relative)
    {
        var path = Path.Combine(folder, relative);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
    }

    /// <summary>Overwrites bytes in the middle of a graph with garbage (its protobuf no longer parses or checks).</summary>
    public static void Corrupt(string folder, string relative)
    {
        var path = Path.Combine(folder, relative);
        var bytes = File.ReadAllBytes(path);
        new Random(7).NextBytes(bytes.AsSpan(0, Math.Min(4096, bytes.Length)));
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Changes one number of the manifest's JSON text, e.g. "num_layers": 3 to 5 in the transformer.</summary>
    public static void EditManifest(string folder, string from, string to)
    {
        var path = Path.Combine(folder, "sana-model.json");
        var text = File.ReadAllText(path);
        Assert.Contains(from, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
