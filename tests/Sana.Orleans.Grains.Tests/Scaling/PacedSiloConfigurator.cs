using System.Globalization;
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

namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>
/// A test silo whose workers run the real tiny Sana at set speeds: property "Sana:Paced:{silo}" lists them as
/// "microBatch@millisecondsPerImage,...". Otherwise as <see cref="SanaSiloConfigurator"/>: shared job storage, a shared
/// image folder, membership that notices a killed silo within seconds.
/// </summary>
public sealed class PacedSiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder)
    {
        var config = siloBuilder.Configuration;
        var siloName = config["Orleans:Name"] ?? throw new InvalidOperationException("test silo without a name");
        var clusterId = config["Orleans:ClusterId"] ?? "test";
        var storeRoot = config["Sana:StoreRoot"] ?? throw new InvalidOperationException("Sana:StoreRoot is not set");
        var modelFolder = config["Sana:ModelFolder"] ?? throw new InvalidOperationException("Sana:ModelFolder is not set");
        var workers = Parse(config[$"Sana:Paced:{siloName}"]);

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
            workers.Select((w, index) => new GpuWorkerConfig(index, "cpu", modelFolder, w.MicroBatch) { IntraOpThreads = 1 })));
        siloBuilder.Services.AddSingleton<IImagePipelineFactory>(
            new PacedPipeline.Factory(new SanaPipelineFactory(), [.. workers.Select(w => w.PerImage)]));
        siloBuilder.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
        });
    }

    public static (int MicroBatch, TimeSpan PerImage)[] Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : [.. text.Split(',').Select(part =>
        {
            var (batch, ms) = (part.Split('@')[0], part.Split('@')[1]);
            return (int.Parse(batch, CultureInfo.InvariantCulture), TimeSpan.FromMilliseconds(int.Parse(ms, CultureInfo.InvariantCulture)));
        })];

    public static string Format(IEnumerable<(int MicroBatch, int MillisecondsPerImage)> workers) =>
        string.Join(",", workers.Select(w => string.Create(CultureInfo.InvariantCulture, $"{w.MicroBatch}@{w.MillisecondsPerImage}")));
}
