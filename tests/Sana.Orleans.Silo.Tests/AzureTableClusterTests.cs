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

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// The cloud configuration against a real Azurite: membership, job state and reminders in tables, images in blobs.
/// Two silos in this process join through the membership table and a separate client host finds them through it.
/// </summary>
public sealed class AzureTableClusterTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private Dictionary<string, string> CloudSettings(string clusterId) => new()
    {
        ["Sana:Cluster:Clustering"] = "AzureTable",
        ["Sana:Cluster:ConnectionString"] = azurite.ConnectionString,
        ["Sana:Cluster:ClusterId"] = clusterId,
        ["Sana:Silo:AdvertisedAddress"] = "127.0.0.1",
        ["Sana:Silo:GrainStorage"] = "AzureTable",
        ["Sana:ImageStore:Kind"] = "AzureBlob",
        ["Sana:ImageStore:ConnectionString"] = azurite.ConnectionString,
        ["Sana:ImageStore:ContainerName"] = clusterId,
    };

    [Fact]
    public async Task Two_silos_cluster_through_the_table_and_a_client_runs_a_job_on_them()
    {
        var clusterId = "c" + Guid.NewGuid().ToString("N")[..10];
        var settings = CloudSettings(clusterId);
        await using var east = await TestSilo.StartAsync("east", settings);
        await using var west = await TestSilo.StartAsync("west", settings);

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSanaClient(o =>
        {
            o.Clustering = ClusteringKind.AzureTable;
            o.ConnectionString = azurite.ConnectionString;
            o.ClusterId = clusterId;
        });
        using var client = builder.Build();
        await client.StartAsync().WaitAsync(Bound);
        var sana = client.Services.GetRequiredService<ISanaClient>();
        var grains = client.Services.GetRequiredService<IGrainFactory>();

        await grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).WaitForGpus(4).WaitAsync(Bound);
        var gpus = await sana.ListGpusAsync();
        Assert.Equal(["east/gpu0", "east/gpu1", "west/gpu0", "west/gpu1"], gpus.Select(g => g.GpuId).Order());

        var request = new ImageJobRequest { Prompt = "two silos", Count = 8, Width = 64, Height = 64, Steps = 1, Seed = 7 };
        var jobId = await sana.SubmitAsync(request, "table-job");
        var seen = await sana.WatchAsync(jobId).ToListAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(Enumerable.Range(0, 8), seen.Select(p => p.Image.Index).Order());
        Assert.Equal(JobState.Completed, (await sana.GetStatusAsync(jobId)).State);
        var store = new BlobImageStore(
            new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(clusterId), NullLogger<BlobImageStore>.Instance);
        var stored = await store.ListAsync(jobId, default).ToListAsync();
        Assert.Equal(Enumerable.Range(0, 8).Select(i => new ImageKey(jobId, i, 7UL + (ulong)i)), stored);

        await client.StopAsync();
    }
}
