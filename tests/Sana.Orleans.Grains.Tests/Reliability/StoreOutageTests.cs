using System.Diagnostics;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;
using Xunit.Abstractions;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>The image store goes away mid-job: the workers retry with backoff, and nothing is lost or changed.</summary>
[Collection(Cluster.ClusterCollection.Name)]
public sealed class StoreOutageTests(ITestOutputHelper log)
{
    [Fact]
    public async Task A_store_outage_mid_job_delays_images_with_retries_and_loses_or_changes_none()
    {
        var model = TestModel.Folder;
        await using var sana = await ReliabilityCluster.StartAsync([[model], [model]], readyGpus: 2);
        var request = new ImageJobRequest { Prompt = "a tram in the rain", Count = 10, Width = 32, Height = 32, Steps = 2, Seed = 314 };
        var reference = await sana.Client.SubmitAsync(request, "outage-reference");
        await sana.WaitAsync(reference);

        sana.Faults.StoreDown = true;
        var jobId = await sana.Client.SubmitAsync(request, "outage");
        await sana.Faults.StoreFailed.WaitAsync(ReliabilityCluster.Bound);
        await WaitForStoreFailuresAsync(sana.Faults, 8); // several retries of both workers have failed by now
        sana.Faults.StoreDown = false;
        var restored = Stopwatch.StartNew();
        var status = await sana.WaitAsync(jobId);
        var drained = restored.Elapsed;

        Assert.Equal(JobState.Completed, status.State);
        var images = await sana.Client.GetImagesAsync(jobId);
        Assert.Equal(Enumerable.Range(0, 10), images.Select(i => i.Index));
        Assert.Equal(10, await sana.CountStoredAsync(jobId));
        var expected = await sana.Client.GetImagesAsync(reference);
        foreach (var (a, b) in expected.Zip(images))
        {
            var want = await sana.Store.ReadAsync(a.ImageReference, default);
            var got = await sana.Store.ReadAsync(b.ImageReference, default);
            Assert.True(want.AsSpan().SequenceEqual(got), $"image {a.Index} differs after the outage");
        }

        log.WriteLine($"{sana.Faults.StoreFailures} failed saves during the outage; job done {drained.TotalSeconds:F1}s after the store came back");
        ReliabilityLog.Write("grains", "store-outage", new
        {
            faults_injected = sana.Faults.StoreFailures,
            images = 10,
            lost = 10 - images.Count,
            duplicated = images.Count - images.Select(i => i.Index).Distinct().Count(),
            byte_identical = true,
            done_after_store_back_s = Math.Round(drained.TotalSeconds, 2),
        });
    }

    private static async Task WaitForStoreFailuresAsync(FaultSwitches faults, long count)
    {
        using var bound = new CancellationTokenSource(ReliabilityCluster.Bound);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (faults.StoreFailures < count)
        {
            await tick.WaitForNextTickAsync(bound.Token);
        }
    }
}
