using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Hosting;
using Orleans.TestingHost;
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
        var (siloName, clusterId) = TestSiloSetup.Identity(siloBuilder);
        var storeRoot = TestSiloSetup.Required(siloBuilder, "Sana:StoreRoot");
        var modelFolder = TestSiloSetup.Required(siloBuilder, "Sana:ModelFolder");
        var workers = ClusterSpec.ParseWorkers(siloBuilder.Configuration[$"Sana:Workers:{siloName}"]);
        TestSiloSetup.Apply(
            siloBuilder,
            clusterId,
            new FileImageStore(storeRoot, NullLogger<FileImageStore>.Instance),
            workers.Select((capacity, index) => new GpuWorkerConfig(index, "cpu", modelFolder, capacity) { IntraOpThreads = 1 }),
            new PipelineGate.Factory(new SanaPipelineFactory(), PipelineGate.For(clusterId, siloName)),
            o =>
            {
                if (siloBuilder.Configuration["Sana:Grains:ChunksInFlightPerGpu"] is { } depth)
                {
                    o.ChunksInFlightPerGpu = int.Parse(depth, System.Globalization.CultureInfo.InvariantCulture);
                }
            });
    }
}
