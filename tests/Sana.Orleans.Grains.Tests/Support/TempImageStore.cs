using System.Runtime.CompilerServices;
using Sana.Storage;

namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>A minimal file store under a temp folder: the reference is the key's name under the root.</summary>
public sealed class TempImageStore(string root) : IImageStore
{
    public string Root { get; } = root;

    public async Task<string> SaveAsync(ImageKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Root, key.Name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, content.ToArray(), cancellationToken);
        File.Move(temp, path, overwrite: true);
        return key.Name;
    }

    public async Task<byte[]?> ReadAsync(string reference, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Root, reference);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;
    }

    public async IAsyncEnumerable<ImageKey> ListAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        var folder = Path.Combine(Root, jobId);
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var file in Directory.GetFiles(folder, "*.png").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            yield return new ImageKey(jobId, int.Parse(name[..dash], System.Globalization.CultureInfo.InvariantCulture), ulong.Parse(name[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
