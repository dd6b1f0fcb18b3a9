using Orleans.TestingHost;
using Sana.Storage;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>An in-process Orleans cluster of the given shape, its image folder, and helpers to run jobs on it.</summary>
public sealed class SanaCluster : StoredImagesCluster
{
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    private SanaCluster(TestCluster cluster, ClusterSpec spec, FileImageStore store)
        : base(cluster, store)
    {
        Spec = spec;
    }

    public ClusterSpec Spec { get; }

    public static async Task<SanaCluster> StartAsync(ClusterSpec spec, string modelFolder, IReadOnlyDictionary<string, string>? settings = null)
    {
        var root = CreateStoreRoot();
        var builder = new TestClusterBuilder((short)spec.WorkersBySilo.Count);
        builder.Options.ConfigureFileLogging = false;
        builder.Properties["Sana:StoreRoot"] = root;
        builder.Properties["Sana:ModelFolder"] = modelFolder;
        foreach (var (key, value) in spec.ToProperties().Concat(settings ?? new Dictionary<string, string>()))
        {
            builder.Properties[key] = value;
        }

        builder.AddSiloBuilderConfigurator<SanaSiloConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        var sana = new SanaCluster(cluster, spec, OpenStore(root));
        using var bound = new CancellationTokenSource(Bound);
        await sana.GpuDirectory.WaitForGpus(spec.WorkerCount, bound.Token);
        return sana;
    }

    public IGpuDirectoryGrain GpuDirectory => Grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key);

    public IGenerationJobGrain Job(string jobId) => Grains.GetGrain<IGenerationJobGrain>(jobId);

    /// <summary>Submits and watches until the job ends (bounded); returns its final status and images by index.</summary>
    public async Task<(JobStatus Status, JobImage[] Images)> RunAsync(string jobId, ImageJobRequest request)
    {
        var job = Job(jobId);
        await job.Submit(request);
        using var bound = new CancellationTokenSource(Bound);
        await foreach (var _ in job.Watch(bound.Token))
        {
        }

        return (await job.GetStatus(), await job.GetImages());
    }

    /// <summary>The stored bytes of each image of a job, by index.</summary>
    public async Task<SortedDictionary<int, byte[]>> ReadImagesAsync(IEnumerable<JobImage> images)
    {
        var bytes = new SortedDictionary<int, byte[]>();
        foreach (var image in images)
        {
            bytes[image.Index] = await Store.ReadAsync(image.ImageReference, CancellationToken.None)
                ?? throw new InvalidOperationException($"image {image.Index} ({image.ImageReference}) is not stored");
        }

        return bytes;
    }


}
