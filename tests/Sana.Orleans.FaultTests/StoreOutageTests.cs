using System.Diagnostics;
using System.Text.RegularExpressions;
using Sana.Orleans.Grains.Tests.Reliability;
using Sana.Orleans.Jobs;
using Sana.TestSupport;

namespace Sana.Orleans.FaultTests;

/// <summary>
/// The blob store goes away mid-job: the images live in an Azurite of their own (membership and job state stay in
/// the fixture's), which the test stops (SIGTERM, as an operator would) and starts again on the same ports with its
/// data. The workers' saves fail and retry with backoff, and once the store is back the job completes with every image
/// stored once and byte-identical to a fault-free run.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class StoreOutageTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task A_blob_store_outage_mid_job_is_retried_through_and_loses_or_changes_no_image()
    {
        await using var imageStorage = await AzuriteProcess.StartNewAsync();
        await using var cluster = FaultCluster.Create(azurite.Azurite, imageStoreConnectionString: imageStorage.ConnectionString);
        await cluster.StartAsync("east", "west");
        var request = KillTests.Request(4242) with { Count = 24 };
        var jobId = await cluster.Client.SubmitAsync(request, "outage");
        using (var bound = new CancellationTokenSource(FaultCluster.Bound))
        {
            await foreach (var p in cluster.Client.WatchAsync(jobId, bound.Token))
            {
                if (p.Completed >= 3)
                {
                    break;
                }
            }
        }

        var down = Stopwatch.StartNew();
        await imageStorage.StopAsync();
        // Both workers have failed a save and are backing off (each attempt is the SDK's own retries, seconds long).
        await Task.WhenAll(
            cluster["east"].WaitForOutputAsync(o => Retries(o) >= 1, FaultCluster.Bound),
            cluster["west"].WaitForOutputAsync(o => Retries(o) >= 1, FaultCluster.Bound));
        await imageStorage.StartAsync();
        var outage = down.Elapsed;
        var back = Stopwatch.StartNew();
        var status = await cluster.WatchToEndAsync(jobId);
        var drained = back.Elapsed;

        Assert.Equal(JobState.Completed, status.State);
        var images = await cluster.Client.GetImagesAsync(jobId);
        Assert.Equal(Enumerable.Range(0, request.Count), images.Select(i => i.Index));
        var (lost, duplicated, differing) = await cluster.CompareAsync(jobId, request);
        Assert.Equal((0, 0, 0), (lost, duplicated, differing));
        var retries = Retries(cluster["east"].Output) + Retries(cluster["west"].Output);
        ReliabilityLog.Write("process", "blob-store-outage", new
        {
            faults_injected = 1,
            survived = true,
            outage_s = Math.Round(outage.TotalSeconds, 1),
            store_retries = retries,
            images = request.Count,
            lost,
            duplicated,
            differing,
            job_done_after_store_back_s = Math.Round(drained.TotalSeconds, 1),
        });
    }

    private static int Retries(string output) => RetryLine().Count(output);

    [GeneratedRegex(@"Storing image \d+ of job \S+ failed \(attempt \d+\); retrying")]
    private static partial Regex RetryLine();
}
