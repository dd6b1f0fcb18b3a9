using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Hosting;
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
        var (siloName, clusterId) = TestSiloSetup.Identity(siloBuilder);
        var storeRoot = TestSiloSetup.Required(siloBuilder, "Sana:StoreRoot");
        var modelFolder = TestSiloSetup.Required(siloBuilder, "Sana:ModelFolder");
        var workers = Parse(siloBuilder.Configuration[$"Sana:Paced:{siloName}"]);
        TestSiloSetup.Apply(
            siloBuilder,
            clusterId,
            new FileImageStore(storeRoot, NullLogger<FileImageStore>.Instance),
            workers.Select((w, index) => new GpuWorkerConfig(index, "cpu", modelFolder, w.MicroBatch) { IntraOpThreads = 1 }),
            new PacedPipeline.Factory(new SanaPipelineFactory(), [.. workers.Select(w => w.PerImage)]));
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
