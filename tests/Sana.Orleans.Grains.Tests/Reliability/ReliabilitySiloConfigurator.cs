using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Hosting;
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
        var (siloName, clusterId) = TestSiloSetup.Identity(siloBuilder);
        var storeRoot = TestSiloSetup.Required(siloBuilder, ReliabilityCluster.StoreRootKey);
        var folders = (config[ReliabilityCluster.WorkersKey(siloName)] ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries);
        var switches = FaultSwitches.For(clusterId);
        TestSiloSetup.Apply(
            siloBuilder,
            clusterId,
            new FaultSwitches.Store(new FileImageStore(storeRoot, NullLogger<FileImageStore>.Instance), switches),
            folders.Select((folder, index) => new GpuWorkerConfig(index, "cpu", folder, 1) { IntraOpThreads = 1 }),
            new FaultSwitches.PipelineFactory(new SanaPipelineFactory(), switches, siloName),
            o =>
            {
                o.GpuProbeInterval = TimeSpan.FromSeconds(1);
                o.StoreRetryInitialDelay = TimeSpan.FromMilliseconds(50);
                o.StoreRetryMaxDelay = TimeSpan.FromMilliseconds(500);
                o.BusyRetryAfter = TimeSpan.FromMilliseconds(int.Parse(config[ReliabilityCluster.BusyRetryAfterMsKey] ?? "200", CultureInfo.InvariantCulture));
                o.MaxQueuedJobs = int.Parse(config[ReliabilityCluster.MaxQueuedJobsKey] ?? "10000", CultureInfo.InvariantCulture);
                o.MaxQueuedImages = long.Parse(config[ReliabilityCluster.MaxQueuedImagesKey] ?? "10000000", CultureInfo.InvariantCulture);
            });
    }
}
