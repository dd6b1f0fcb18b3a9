using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Grains.Workers;
using Sana.Storage;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>
/// A test silo for the reliability tests: each worker on its own model folder (so one can be broken), the real
/// pipeline behind <see cref="FaultSwitches"/>, a file store behind a switchable outage, admission limits and short
/// health-probe and retry intervals from the cluster's properties, job state that outlives a killed silo.
/// </summary>
public sealed class ReliabilitySiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder)
    {
        var config = siloBuilder.Configuration;
        var siloName = config["Orleans:Name"] ?? throw new InvalidOperationException("test silo without a name");
        var clusterId = config["Orleans:ClusterId"] ?? "test";
        var storeRoot = config[ReliabilityCluster.StoreRootKey] ?? throw new InvalidOperationException("store root not set");
        var folders = (config[ReliabilityCluster.WorkersKey(siloName)] ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries);
        var switches = FaultSwitches.For(clusterId);

        siloBuilder.AddSanaGrains(o =>
        {
            o.UseInMemoryJobStorage = false;
            o.NoGpuRetryDelay = TimeSpan.FromMilliseconds(200);
            o.DirectoryRefreshInterval = TimeSpan.FromMilliseconds(500);
            o.GpuProbeInterval = TimeSpan.FromSeconds(1);
            o.StoreRetryInitialDelay = TimeSpan.FromMilliseconds(50);
            o.StoreRetryMaxDelay = TimeSpan.FromMilliseconds(500);
            o.BusyRetryAfter = TimeSpan.FromMilliseconds(int.Parse(config[ReliabilityCluster.BusyRetryAfterMsKey] ?? "200", System.Globalization.CultureInfo.InvariantCulture));
            o.MaxQueuedJobs = int.Parse(config[ReliabilityCluster.MaxQueuedJobsKey] ?? "10000", System.Globalization.CultureInfo.InvariantCulture);
            o.MaxQueuedImages = long.Parse(config[ReliabilityCluster.MaxQueuedImagesKey] ?? "10000000", System.Globalization.CultureInfo.InvariantCulture);
        });
        siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(
            "sana-jobs", (sp, _) => new SharedGrainStorage(clusterId, sp.GetRequiredService<Serializer>()));
        siloBuilder.Services.AddSingleton<IImageStore>(new FaultSwitches.Store(new FileImageStore(storeRoot, NullLogger<FileImageStore>.Instance), switches));
        siloBuilder.Services.AddSingleton<IGpuInventory>(new StaticGpuInventory(
            folders.Select((folder, index) => new GpuWorkerConfig(index, "cpu", folder, 1) { IntraOpThreads = 1 })));
        siloBuilder.Services.AddSingleton<IImagePipelineFactory>(new FaultSwitches.PipelineFactory(new SanaPipelineFactory(), switches, siloName));
        siloBuilder.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
        });
    }
}
