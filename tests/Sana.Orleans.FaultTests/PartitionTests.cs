using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Sana.Orleans.Grains.Tests.Reliability;
using Sana.Orleans.Jobs;
using Sana.TestSupport;
using Xunit.Abstractions;

namespace Sana.Orleans.FaultTests;

/// <summary>
/// A network partition between silos, for real: three silo processes in their own network namespaces (made and removed
/// by the test), one cut off from the other two by blackhole routes while its worker holds a chunk. Membership declares
/// the cut silo dead, its chunk moves, and the job completes with every image once and byte-identical; the cut silo,
/// still able to read the membership table, learns it was declared dead and stops.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class PartitionTests(AzuriteFixture azurite, ITestOutputHelper log) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task A_silo_partitioned_from_the_others_is_removed_by_membership_and_its_work_moves()
    {
        await using var lab = await NetworkLab.CreateAsync(3);
        var storage = azurite.Azurite;
        await using var blob = new TcpForwarder(lab.HostAddress, storage.BlobPort);
        await using var queue = new TcpForwarder(lab.HostAddress, storage.QueuePort);
        await using var table = new TcpForwarder(lab.HostAddress, storage.TablePort);
        var host = lab.HostAddress.ToString();
        var connection = string.Create(CultureInfo.InvariantCulture,
            $"DefaultEndpointsProtocol=http;AccountName={AzuriteProcess.AccountName};AccountKey={AzuriteProcess.AccountKey};"
            + $"BlobEndpoint=http://{host}:{blob.Port}/{AzuriteProcess.AccountName};"
            + $"QueueEndpoint=http://{host}:{queue.Port}/{AzuriteProcess.AccountName};"
            + $"TableEndpoint=http://{host}:{table.Port}/{AzuriteProcess.AccountName};");

        string[] names = ["ns-a", "ns-b", "ns-c"];
        await using var cluster = FaultCluster.Create(storage, connection);
        await cluster.StartAsync(names.Select((n, k) => (n, lab.SiloAddress(k), (string?)lab.Namespace(k))));
        var request = KillTests.Request(5150) with { Count = 18 };
        var job = cluster.Grains.GetGrain<IGenerationJobGrain>("partition");
        await job.GetStatus();
        var jobHost = await KillTests.JobHostAsync(cluster, job);
        var victim = Array.FindIndex(names, n => n != jobHost);
        var others = Enumerable.Range(0, names.Length).Where(k => k != victim).ToArray();
        cluster.Arm(names[victim], "mid-generate");

        await cluster.Client.SubmitAsync(request, "partition");
        await cluster.WaitReachedAsync(names[victim], "mid-generate");
        var clock = Stopwatch.StartNew();
        var cutAt = DateTimeOffset.UtcNow;
        foreach (var other in others)
        {
            await lab.CutAsync(victim, other);
        }

        cluster.Release(names[victim], "mid-generate"); // its chunk goes on, and its result can no longer reach the job
        var removed = await WaitRemovedAsync(cluster, names[victim]);
        var status = await cluster.WatchToEndAsync("partition");
        var seen = clock.Elapsed;
        // When the job itself finished (its own clock), apart from when this client saw it: a client whose gateway
        // for the job is the cut silo waits out a response timeout until it learns the silo is dead.
        var done = status.FinishedAt!.Value - cutAt;

        Assert.Equal(JobState.Completed, status.State);
        var images = await cluster.Client.GetImagesAsync("partition");
        Assert.Equal(Enumerable.Range(0, request.Count), images.Select(i => i.Index));
        Assert.Contains(images, i => !i.GpuId.StartsWith(names[victim] + "/", StringComparison.Ordinal));
        var (lost, duplicated, differing) = await cluster.CompareAsync("partition", request);
        Assert.Equal((0, 0, 0), (lost, duplicated, differing));
        var stopped = await Task.WhenAny(cluster[names[victim]].Exited, Task.Delay(TimeSpan.FromSeconds(60))) == cluster[names[victim]].Exited;
        log.WriteLine($"{names[victim]} cut; declared dead after {removed.TotalSeconds:F1}s; job done after {done.TotalSeconds:F1}s, seen by the client after {seen.TotalSeconds:F1}s; cut silo stopped itself: {stopped}");
        ReliabilityLog.Write("process", "network-partition", new
        {
            faults_injected = 1,
            survived = true,
            silos = names.Length,
            images = request.Count,
            lost,
            duplicated,
            differing,
            declared_dead_after_s = Math.Round(removed.TotalSeconds, 1),
            job_done_after_cut_s = Math.Round(done.TotalSeconds, 1),
            client_saw_done_after_cut_s = Math.Round(seen.TotalSeconds, 1),
            cut_silo_stopped_itself = stopped,
        });
    }

    /// <summary>
    /// Polls the membership table (bounded) until the others have declared <paramref name="silo"/> dead; returns how
    /// long that took. Read from the table, the ground truth, not through a grain: the management grain may well be
    /// activated on the very silo that was cut off, and then its calls hang until that silo stops.
    /// </summary>
    private static async Task<TimeSpan> WaitRemovedAsync(FaultCluster cluster, string silo)
    {
        var clock = Stopwatch.StartNew();
        var table = new TableClient(cluster.Azurite.ConnectionString, "OrleansSiloInstances");
        using var bound = new CancellationTokenSource(FaultCluster.Bound);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (true)
        {
            var rows = table.QueryAsync<TableEntity>(e => e.PartitionKey == cluster.ClusterId, cancellationToken: bound.Token);
            await foreach (var row in rows)
            {
                if (row.GetString("SiloName") == silo && row.GetString("Status") == "Dead")
                {
                    return clock.Elapsed;
                }
            }

            await tick.WaitForNextTickAsync(bound.Token);
        }
    }
}
