using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;
using Sana.Storage;

namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>
/// Configures each test silo from the cluster's properties: its workers (by silo name), the shared image folder, the
/// pipeline (the real SanaPipeline on a model folder, or the deterministic double), storage that survives a killed silo,
/// and membership tuned to notice a killed silo within seconds.
/// </summary>
public sealed class SanaSiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder)
    {
        var config = siloBuilder.Configuration;
        var siloName = config["Orleans:Name"] ?? throw new InvalidOperationException("test silo without a name");
        var clusterId = config["Orleans:ClusterId"] ?? "test";
        var storeRoot = config["Sana:StoreRoot"] ?? throw new InvalidOperationException("Sana:StoreRoot is not set");
        var modelFolder = config["Sana:ModelFolder"] ?? throw new InvalidOperationException("Sana:ModelFolder is not set");
        var workers = ClusterSpec.ParseWorkers(config[$"Sana:Workers:{siloName}"]);

        siloBuilder.AddSanaGrains(o =>
        {
            o.UseInMemoryJobStorage = false;
            o.NoGpuRetryDelay = TimeSpan.FromMilliseconds(200);
            o.DirectoryRefreshInterval = TimeSpan.FromMilliseconds(500);
        });
        siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(
            "sana-jobs", (sp, _) => new SharedGrainStorage(clusterId, sp.GetRequiredService<Serializer>()));
        siloBuilder.Services.AddSingleton<IImageStore>(new FileImageStore(storeRoot, NullLogger<FileImageStore>.Instance));
        siloBuilder.Services.AddSingleton<IGpuInventory>(new StaticGpuInventory(
            workers.Select((capacity, index) => new GpuWorkerConfig(index, "cpu", modelFolder, capacity) { IntraOpThreads = 1 })));
        siloBuilder.Services.AddSingleton<IImagePipelineFactory>(new PipelineGate.Factory(new SanaPipelineFactory(), PipelineGate.For(clusterId, siloName)));

        siloBuilder.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
        });
    }
}
