using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using Sana.Orleans.Grains.Workers;
using Sana.Storage;

namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>
/// What every in-process test silo shares, whatever its configurator adds: the Sana grains with short retry and
/// refresh intervals, job state in storage shared by the cluster's silos (so it outlives a killed silo), the given
/// image store, workers and pipeline factory, and membership tuned to notice a killed silo within seconds.
/// </summary>
internal static class TestSiloSetup
{
    /// <summary>The silo's name and cluster id, as the test cluster set them.</summary>
    public static (string SiloName, string ClusterId) Identity(ISiloBuilder siloBuilder) =>
        (siloBuilder.Configuration["Orleans:Name"] ?? throw new InvalidOperationException("test silo without a name"),
         siloBuilder.Configuration["Orleans:ClusterId"] ?? "test");

    /// <summary>A cluster property every silo needs, with the key named when it is missing.</summary>
    public static string Required(ISiloBuilder siloBuilder, string key) =>
        siloBuilder.Configuration[key] ?? throw new InvalidOperationException($"{key} is not set");

    public static void Apply(
        ISiloBuilder siloBuilder,
        string clusterId,
        IImageStore store,
        IEnumerable<GpuWorkerConfig> workers,
        IImagePipelineFactory pipelines,
        Action<SanaGrainsOptions>? tune = null)
    {
        siloBuilder.AddSanaGrains(o =>
        {
            o.UseInMemoryJobStorage = false;
            o.NoGpuRetryDelay = TimeSpan.FromMilliseconds(200);
            o.DirectoryRefreshInterval = TimeSpan.FromMilliseconds(500);
            tune?.Invoke(o);
        });
        siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(
            "sana-jobs", (sp, _) => new SharedGrainStorage(clusterId, sp.GetRequiredService<Serializer>()));
        siloBuilder.Services.AddSingleton(store);
        siloBuilder.Services.AddSingleton<IGpuInventory>(new StaticGpuInventory(workers));
        siloBuilder.Services.AddSingleton(pipelines);
        siloBuilder.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
        });
    }
}
