using System.Globalization;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.IntegrationTests;
using Sana.Orleans.Jobs;
using Sana.Storage;
using Sana.TestSupport;

namespace Sana.Orleans.FaultTests;

/// <summary>
/// Silo processes clustered through Azurite tables (grain state and reminders in tables, images in blobs), this test
/// process as the client, and a fault gate folder per silo: "{point}.arm" there holds that silo's next chunk at the
/// point (before-generate, mid-generate, while-storing) and "{point}.reached" says it is held.
/// </summary>
public sealed class FaultCluster : IAsyncDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);
    private readonly Dictionary<string, SiloHost> _silos = new(StringComparer.Ordinal);
    private readonly string _gates = Directory.CreateTempSubdirectory("sana-gates-").FullName;
    private IHost? _client;

    private FaultCluster(AzuriteProcess azurite, string siloConnectionString, string imageStoreConnectionString)
    {
        Azurite = azurite;
        SiloConnectionString = siloConnectionString;
        ImageStoreConnectionString = imageStoreConnectionString;
        ClusterId = "f" + Guid.NewGuid().ToString("N")[..10];
        Store = new BlobImageStore(new BlobServiceClient(imageStoreConnectionString).GetBlobContainerClient(ClusterId), NullLogger<BlobImageStore>.Instance);
    }

    public AzuriteProcess Azurite { get; }

    /// <summary>How the silos reach Azurite (loopback, or a forwarder the silos' namespaces can reach).</summary>
    public string SiloConnectionString { get; }

    /// <summary>Where the silos store images (by default the same Azurite as the tables).</summary>
    public string ImageStoreConnectionString { get; }

    public string ClusterId { get; }

    public BlobImageStore Store { get; }

    public ISanaClient Client => _client!.Services.GetRequiredService<ISanaClient>();

    public IGrainFactory Grains => _client!.Services.GetRequiredService<IGrainFactory>();

    public SiloHost this[string name] => _silos[name];

    public static FaultCluster Create(AzuriteProcess azurite, string? siloConnectionString = null, string? imageStoreConnectionString = null) =>
        new(azurite, siloConnectionString ?? azurite.ConnectionString, imageStoreConnectionString ?? siloConnectionString ?? azurite.ConnectionString);

    /// <summary>Starts the silos (in parallel), then the client, then waits until every worker is registered.</summary>
    public async Task StartAsync(IEnumerable<(string Name, string Address, string? Netns)> silos)
    {
        var list = silos.ToArray();
        var ports = LoopbackPorts.Free(list.Length * 2);
        var started = await Task.WhenAll(list.Select((s, i) =>
            SiloHost.StartAsync(s.Name, Settings(s.Name, s.Address, ports[2 * i], ports[(2 * i) + 1]), s.Netns)));
        foreach (var silo in started)
        {
            _silos[silo.Name] = silo;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSanaClient(o =>
        {
            o.Clustering = ClusteringKind.AzureTable;
            o.ConnectionString = Azurite.ConnectionString;
            o.ClusterId = ClusterId;
        });
        _client = builder.Build();
        await _client.StartAsync().WaitAsync(Bound);
        await Grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).WaitForGpus(list.Length).WaitAsync(Bound);
    }

    public Task StartAsync(params string[] names) => StartAsync(names.Select(n => (n, "127.0.0.1", (string?)null)));

    public string GateFolder(string silo) => Path.Combine(_gates, silo);

    public void Arm(string silo, string point) => File.WriteAllText(Path.Combine(GateFolder(silo), point + ".arm"), "");

    public void Release(string silo, string point) => File.Delete(Path.Combine(GateFolder(silo), point + ".arm"));

    /// <summary>Waits (bounded) until a worker of <paramref name="silo"/> is held at <paramref name="point"/>; returns "job gpu".</summary>
    public async Task<string> WaitReachedAsync(string silo, string point)
    {
        var reached = Path.Combine(GateFolder(silo), point + ".reached");
        using var bound = new CancellationTokenSource(Bound);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (!File.Exists(reached) || new FileInfo(reached).Length == 0)
        {
            await tick.WaitForNextTickAsync(bound.Token);
        }

        return await File.ReadAllTextAsync(reached, bound.Token);
    }

    public async Task<JobStatus> WatchToEndAsync(string jobId, Action<JobProgress>? onImage = null)
    {
        using var bound = new CancellationTokenSource(Bound);
        await foreach (var p in Client.WatchAsync(jobId, bound.Token))
        {
            onImage?.Invoke(p);
        }

        return await RetryAsync(() => Client.GetStatusAsync(jobId, bound.Token));
    }

    /// <summary>Calls again while a dead silo's activation is still addressed (until membership has declared it dead).</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (OrleansException) when (attempt < 30)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt)); // back-off between calls, not synchronisation
            }
        }
    }

    /// <summary>What the store holds for the job, against what a fault-free run makes: lost, duplicated and differing images.</summary>
    public static (byte[]? Got, byte[] Want)? DifferingDump { get; private set; }

    public async Task<(int Lost, int Duplicated, int Differing)> CompareAsync(string jobId, ImageJobRequest request)
    {
        var keys = await Store.ListAsync(jobId, CancellationToken.None).ToListAsync();
        var byIndex = keys.GroupBy(k => k.Index).ToDictionary(g => g.Key, g => g.ToArray());
        var expected = ReferenceImages.For(request);
        var (lost, duplicated, differing) = (0, 0, 0);
        for (var i = 0; i < request.Count; i++)
        {
            if (!byIndex.TryGetValue(i, out var stored))
            {
                lost++;
                continue;
            }

            duplicated += stored.Length - 1;
            var bytes = await Store.ReadAsync(stored[0].Name, CancellationToken.None);
            if (bytes is null || !bytes.AsSpan().SequenceEqual(expected[i]))
            {
                differing++;
                Console.WriteLine($"image {i} of {jobId} differs from the fault-free run: {bytes?.Length} bytes vs {expected[i].Length} ({stored[0].Name})");
                DifferingDump = (bytes, expected[i]);
            }
        }

        duplicated += keys.Count(k => k.Index < 0 || k.Index >= request.Count);
        return (lost, duplicated, differing);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try
            {
                await _client.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or OrleansException)
            {
            }

            _client.Dispose();
        }

        await Task.WhenAll(_silos.Values.Select(s => s.DisposeAsync().AsTask()));
        var logs = Path.Combine(Path.GetDirectoryName(Sana.Orleans.Grains.Tests.Reliability.ReliabilityLog.Path)!, "fault-logs");
        Directory.CreateDirectory(logs);
        foreach (var silo in _silos.Values)
        {
            await File.WriteAllTextAsync(Path.Combine(logs, $"{ClusterId}-{silo.Name}.log"), silo.Output);
        }
        try
        {
            Directory.Delete(_gates, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Dictionary<string, string> Settings(string name, string address, int siloPort, int gatewayPort)
    {
        Directory.CreateDirectory(GateFolder(name));
        var settings = ProcessSiloSettings.For(SiloConnectionString, ImageStoreConnectionString, ClusterId, address, siloPort, gatewayPort);
        // Micro-batch 1, three per chunk: chunks hold several images, so "while storing" falls between two of them.
        settings["Sana:Workers:MicroBatch"] = "1";
        settings["Sana:Grains:MicroBatchesPerChunk"] = "3";
        settings["Sana:Grains:FaultGateDirectory"] = GateFolder(name);
        settings["Sana:Grains:StoreRetryInitialDelay"] = "00:00:00.200";
        settings["Sana:Grains:StoreRetryMaxDelay"] = "00:00:02";
        settings["Sana:Grains:NoGpuRetryDelay"] = "00:00:00.500";
        settings["Sana:Grains:DirectoryRefreshInterval"] = "00:00:01";
        settings["Logging:LogLevel:Polly"] = "Error";
        return settings;
    }
}
