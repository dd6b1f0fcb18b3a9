using Orleans.TestingHost;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;
using Sana.Storage;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>
/// An in-process cluster for the reliability tests: per silo, the model folder of each worker; the fault switches of
/// this cluster; the shared image folder; <see cref="ISanaClient"/> over the test client.
/// </summary>
public sealed class ReliabilityCluster : StoredImagesCluster
{
    public const string StoreRootKey = "Sana:Rel:StoreRoot";
    public const string MaxQueuedJobsKey = "Sana:Rel:MaxQueuedJobs";
    public const string MaxQueuedImagesKey = "Sana:Rel:MaxQueuedImages";
    public const string BusyRetryAfterMsKey = "Sana:Rel:BusyRetryAfterMs";
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);

    private ReliabilityCluster(TestCluster cluster, FileImageStore store)
        : base(cluster, store)
    {
        Faults = FaultSwitches.For(cluster.Options.ClusterId);
        Client = new SanaClient(cluster.Client);
    }

    public FaultSwitches Faults { get; }

    public ISanaClient Client { get; }

    public static string WorkersKey(string siloName) => $"Sana:Rel:Workers:{siloName}";

    /// <summary>
    /// Starts silos with the given model folders per worker, waiting until <paramref name="readyGpus"/> are Ready.
    /// <paramref name="before"/> runs on the switches before the silos start (e.g. a model that will not load).
    /// </summary>
    public static async Task<ReliabilityCluster> StartAsync(
        string[][] foldersBySilo, int readyGpus, IDictionary<string, string>? properties = null, Action<FaultSwitches, string>? before = null)
    {
        var root = CreateStoreRoot();
        var builder = new TestClusterBuilder((short)foldersBySilo.Length);
        builder.Options.ConfigureFileLogging = false;
        builder.Properties[StoreRootKey] = root;
        for (var i = 0; i < foldersBySilo.Length; i++)
        {
            builder.Properties[WorkersKey(ClusterSpec.SiloName(i))] = string.Join("|", foldersBySilo[i]);
        }

        foreach (var (key, value) in properties ?? new Dictionary<string, string>())
        {
            builder.Properties[key] = value;
        }

        builder.AddSiloBuilderConfigurator<ReliabilitySiloConfigurator>();
        var cluster = builder.Build();
        before?.Invoke(FaultSwitches.For(cluster.Options.ClusterId), cluster.Options.ClusterId);
        await cluster.DeployAsync();
        var sana = new ReliabilityCluster(cluster, OpenStore(root));
        using var bound = new CancellationTokenSource(Bound);
        await sana.Grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).WaitForGpus(readyGpus, bound.Token);
        return sana;
    }

    /// <summary>Watches a job until it ends (bounded) and returns its final status.</summary>
    public async Task<JobStatus> WaitAsync(string jobId)
    {
        using var bound = new CancellationTokenSource(Bound);
        await foreach (var _ in Client.WatchAsync(jobId, bound.Token))
        {
        }

        return await Client.GetStatusAsync(jobId);
    }


    /// <summary>Polls the GPU list (bounded) until <paramref name="gpuId"/> has <paramref name="health"/>; returns how long it took.</summary>
    public async Task<(TimeSpan Took, GpuWorkerStatus Status)> WaitForHealthAsync(string gpuId, GpuHealth health)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var bound = new CancellationTokenSource(Bound);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (true)
        {
            var status = (await Client.ListGpusAsync(bound.Token)).FirstOrDefault(g => g.GpuId == gpuId);
            if (status?.Health == health)
            {
                return (clock.Elapsed, status);
            }

            await tick.WaitForNextTickAsync(bound.Token);
        }
    }

}
