using Microsoft.Extensions.Logging.Abstractions;
using Orleans.TestingHost;
using Sana.Storage;

namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>
/// What every in-process test cluster of this project has: the Orleans test cluster, the image folder its silos share
/// (a fresh temporary one per cluster, deleted with it) and a count of a job's stored files.
/// </summary>
public abstract class StoredImagesCluster(TestCluster cluster, FileImageStore store) : IAsyncDisposable
{
    public TestCluster Cluster { get; } = cluster;

    public FileImageStore Store { get; } = store;

    public IGrainFactory Grains => Cluster.Client;

    /// <summary>A new, empty image folder for a cluster about to start.</summary>
    public static string CreateStoreRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "sana-orleans-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        return root;
    }

    public static FileImageStore OpenStore(string root) => new(root, NullLogger<FileImageStore>.Instance);

    /// <summary>Image files stored under a job (a retried image overwrites its file, so this is images, not attempts).</summary>
    public async Task<int> CountStoredAsync(string jobId)
    {
        var count = 0;
        await foreach (var _ in Store.ListAsync(jobId, CancellationToken.None))
        {
            count++;
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        try
        {
            Directory.Delete(Store.Root, recursive: true);
        }
        catch (IOException)
        {
        }

        GC.SuppressFinalize(this);
    }
}
