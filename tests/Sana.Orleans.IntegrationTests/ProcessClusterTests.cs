using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;
using Sana.Storage;
using Sana.TestSupport;
using Xunit.Abstractions;

namespace Sana.Orleans.IntegrationTests;

/// <summary>
/// The deployment shape on one machine: two silo processes that find each other through Azurite's table service, this
/// test process as the client, images in Azurite's blob service, the tiny real model on CPU workers.
/// </summary>
public sealed class ProcessClusterTests(AzuriteFixture azurite, ITestOutputHelper log) : IClassFixture<AzuriteFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(5);

    private Dictionary<string, string> Settings(string clusterId, int siloPort, int gatewayPort) =>
        ProcessSiloSettings.For(azurite.ConnectionString, azurite.ConnectionString, clusterId, "127.0.0.1", siloPort, gatewayPort);

    [Fact]
    public async Task A_job_spreads_over_two_silo_processes_and_completes_after_one_is_killed()
    {
        var clusterId = "p" + Guid.NewGuid().ToString("N")[..10];
        var ports = LoopbackPorts.Free(4);
        await using var east = await SiloProcess.StartAsync("east", Settings(clusterId, ports[0], ports[1]));
        await using var west = await SiloProcess.StartAsync("west", Settings(clusterId, ports[2], ports[3]));
        try
        {
            await SpreadAndKillAsync(clusterId, west);
        }
        finally
        {
            // On a failure, what each silo said is the first thing to read.
            foreach (var silo in new[] { east, west })
            {
                log.WriteLine($"--- silo {silo.Name} ---\n{silo.Output}");
            }
        }
    }

    private async Task SpreadAndKillAsync(string clusterId, SiloProcess west)
    {
        using var client = await StartClientAsync(clusterId);
        var sana = client.Services.GetRequiredService<ISanaClient>();
        await client.Services.GetRequiredService<IGrainFactory>().GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key)
            .WaitForGpus(2).WaitAsync(Bound);

        const int count = 24;
        var request = new ImageJobRequest { Prompt = "a lighthouse at dusk", Count = count, Width = 64, Height = 64, Steps = 20, Seed = 1234 };
        var clock = Stopwatch.StartNew();
        var jobId = await sana.SubmitAsync(request, "spread-" + clusterId);
        var progress = new List<JobProgress>();
        var killedAt = TimeSpan.Zero;
        var killedAfterImages = 0;
        using var bound = new CancellationTokenSource(Bound);
        await foreach (var p in sana.WatchAsync(jobId, bound.Token))
        {
            progress.Add(p);
            var silos = progress.Select(x => GpuKey.Parse(x.Image.GpuId).SiloName).ToHashSet();
            if (killedAt == TimeSpan.Zero && silos.Count == 2)
            {
                (killedAt, killedAfterImages) = (clock.Elapsed, progress.Count);
                await west.KillAsync();
            }
        }

        log.WriteLine($"{count} images in {clock.Elapsed}; west killed at {killedAt} after {killedAfterImages} images");
        Assert.True(killedAt > TimeSpan.Zero, "the job never ran on both silos: " + string.Join(", ", progress.Select(p => p.Image.GpuId)));
        Assert.True(killedAfterImages < count, "west was killed only after the job had finished");
        var status = await sana.GetStatusAsync(jobId);
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(Enumerable.Range(0, count), progress.Select(p => p.Image.Index).Order());

        var store = new BlobImageStore(new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(clusterId), NullLogger<BlobImageStore>.Instance);
        var stored = await store.ListAsync(jobId, default).ToListAsync();
        Assert.Equal(Enumerable.Range(0, count).Select(i => new ImageKey(jobId, i, 1234UL + (ulong)i)), stored);
        await client.StopAsync();
    }

    private async Task<IHost> StartClientAsync(string clusterId)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSanaClient(o =>
        {
            o.Clustering = ClusteringKind.AzureTable;
            o.ConnectionString = azurite.ConnectionString;
            o.ClusterId = clusterId;
        });
        var host = builder.Build();
        await host.StartAsync().WaitAsync(Bound);
        return host;
    }
}
