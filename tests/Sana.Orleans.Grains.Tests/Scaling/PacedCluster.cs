using System.Diagnostics;
using Orleans.TestingHost;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;
using Sana.Storage;

namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>
/// An in-process cluster whose workers run the real tiny model at set speeds (<see cref="PacedSiloConfigurator"/>):
/// per silo, each worker's (micro-batch, milliseconds per image).
/// </summary>
public sealed class PacedCluster : StoredImagesCluster
{
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private PacedCluster(TestCluster cluster, FileImageStore store, (int MicroBatch, int Ms)[][] shape)
        : base(cluster, store)
    {
        Shape = shape;
    }

    public (int MicroBatch, int Ms)[][] Shape { get; }

    public static async Task<PacedCluster> StartAsync((int MicroBatch, int Ms)[][] shape)
    {
        var root = CreateStoreRoot();
        var builder = new TestClusterBuilder((short)shape.Length);
        builder.Options.ConfigureFileLogging = false;
        builder.Properties["Sana:StoreRoot"] = root;
        builder.Properties["Sana:ModelFolder"] = TestModel.Folder;
        for (var i = 0; i < shape.Length; i++)
        {
            builder.Properties[$"Sana:Paced:{ClusterSpec.SiloName(i)}"] = PacedSiloConfigurator.Format(shape[i]);
        }

        builder.AddSiloBuilderConfigurator<PacedSiloConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        var paced = new PacedCluster(cluster, OpenStore(root), shape);
        using var bound = new CancellationTokenSource(Bound);
        await paced.Grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).WaitForGpus(shape.Sum(s => s.Length), bound.Token);
        return paced;
    }

    /// <summary>Speed of each worker in images/s, by GPU id.</summary>
    public Dictionary<string, double> Speeds() =>
        Shape.SelectMany((workers, silo) => workers.Select((w, i) => (Id: GpuKey.Format(ClusterSpec.SiloName(silo), i), Speed: 1000.0 / w.Ms)))
            .ToDictionary(x => x.Id, x => x.Speed, StringComparer.Ordinal);

    /// <summary>
    /// Speed of each worker in images/s as the worker measured it over its chunks (pipeline, padding, encoding,
    /// storing); a worker of a dead silo counts at its set speed scaled like the living ones'.
    /// </summary>
    public async Task<Dictionary<string, double>> MeasuredSpeedsAsync()
    {
        var alive = Cluster.GetActiveSilos().Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var set = Speeds();
        var measured = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var id in set.Keys.Where(id => alive.Contains(GpuKey.Parse(id).SiloName)))
        {
            measured[id] = (await Grains.GetGrain<IGpuWorkerGrain>(id).GetStatus()).ImagesPerSecond;
        }

        var scale = measured.Average(m => m.Value / set[m.Key]);
        return set.ToDictionary(s => s.Key, s => measured.TryGetValue(s.Key, out var m) ? m : s.Value * scale, StringComparer.Ordinal);
    }

    public static ImageJobRequest Request(int count) => new()
    {
        Prompt = "a lighthouse at dusk",
        Count = count,
        Width = TestModel.Side,
        Height = TestModel.Side,
        Steps = TestModel.Steps,
        Seed = 7,
    };

    /// <summary>Submits and watches to the end (bounded); <paramref name="onImage"/> sees each image as it is recorded.</summary>
    public static async Task<(JobStatus Status, JobImage[] Images, TimeSpan Makespan)> RunAsync(
        IGenerationJobGrain job, ImageJobRequest request, Func<int, JobImage, TimeSpan, Task>? onImage = null)
    {
        var clock = Stopwatch.StartNew();
        await job.Submit(request);
        using var bound = new CancellationTokenSource(Bound);
        var seen = 0;
        await foreach (var image in job.Watch(bound.Token))
        {
            if (onImage is not null)
            {
                await onImage(++seen, image, clock.Elapsed);
            }
        }

        var makespan = clock.Elapsed;
        return (await job.GetStatus(), await job.GetImages(), makespan);
    }


}
