using System.Collections.Concurrent;
using System.Diagnostics;
using Sana.Orleans.Client;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;
using Xunit.Abstractions;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>
/// Many small jobs at once from several clients: the door holds the queue at its limit (the rest hear "busy, retry
/// after" and come back), every job completes with its one image, and none waits unduly; a small job does not wait
/// for a big one to finish. SANA_LONG_TESTS=1 runs the load with 5,000 jobs instead of 1,000.
/// </summary>
[Collection(Cluster.ClusterCollection.Name)]
public sealed class LoadTests(ITestOutputHelper log)
{
    private const int Clients = 4;
    private const int QueueLimit = 100;

    private static int JobCount => Environment.GetEnvironmentVariable("SANA_LONG_TESTS") == "1" ? 5000 : 1000;

    private static ImageJobRequest Small(int client) => new()
    {
        Prompt = $"a paper boat, client {client}",
        Count = 1,
        Width = 32,
        Height = 32,
        Steps = 1,
        GuidanceScale = 1,
        PagLayers = [],
        Seed = (ulong)client,
    };

    [Fact]
    public async Task A_thousand_small_jobs_from_four_clients_all_complete_behind_the_queue_limit()
    {
        var model = TestModel.Folder;
        await using var sana = await ReliabilityCluster.StartAsync([[model], [model]], readyGpus: 2, new Dictionary<string, string>
        {
            [ReliabilityCluster.MaxQueuedJobsKey] = QueueLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [ReliabilityCluster.BusyRetryAfterMsKey] = "500",
        });
        var clients = Enumerable.Range(0, Clients).Select(_ => new SanaClient(sana.Cluster.Client)).ToArray();
        var waits = new ConcurrentBag<TimeSpan>();
        var busyAnswers = 0;
        var clock = Stopwatch.StartNew();
        var perClient = JobCount / Clients;
        var jobs = Enumerable.Range(0, Clients).SelectMany(c => Enumerable.Range(0, perClient).Select(async j =>
        {
            var started = clock.Elapsed;
            var (id, busy) = await clients[c].SubmitWhenAdmittedAsync(Small(c), $"load-{c}-{j}", ReliabilityCluster.Bound);
            Interlocked.Add(ref busyAnswers, busy);
            using var bound = new CancellationTokenSource(ReliabilityCluster.Bound);
            var images = 0;
            await foreach (var _ in clients[c].WatchAsync(id, bound.Token))
            {
                images++;
            }

            waits.Add(clock.Elapsed - started);
            return (id, images);
        }));
        var results = await Task.WhenAll(jobs);
        var total = clock.Elapsed;

        var load = await sana.Grains.GetGrain<IJobAdmissionGrain>(IJobAdmissionGrain.Key).GetLoad();
        Assert.All(results, r => Assert.Equal(1, r.images));
        foreach (var (id, _) in results.Where((_, i) => i % 97 == 0))
        {
            Assert.Equal(JobState.Completed, (await sana.Client.GetStatusAsync(id)).State);
            Assert.Equal(1, await sana.CountStoredAsync(id));
        }

        Assert.True(load.PeakJobs <= QueueLimit, $"the door held {load.PeakJobs} jobs, more than its limit {QueueLimit}");
        Assert.True(load.Rejected > 0, "a thousand jobs against a limit of 100 were never refused");
        Assert.Equal(0, load.QueuedJobs);
        var sorted = waits.Order().ToArray();
        var max = sorted[^1];
        Assert.True(max < total + TimeSpan.FromSeconds(1));
        log.WriteLine($"{JobCount} jobs in {total.TotalSeconds:F1}s; busy answers {busyAnswers}; peak {load.PeakJobs}; wait p50 {sorted[sorted.Length / 2].TotalSeconds:F1}s max {max.TotalSeconds:F1}s");
        ReliabilityLog.Write("grains", "load-small-jobs", new
        {
            jobs = JobCount,
            clients = Clients,
            completed = results.Length,
            images_lost = results.Count(r => r.images != 1),
            queue_limit = QueueLimit,
            peak_queued = load.PeakJobs,
            busy_answers = busyAnswers,
            rejected_at_door = load.Rejected,
            seconds = Math.Round(total.TotalSeconds, 1),
            jobs_per_s = Math.Round(JobCount / total.TotalSeconds, 1),
            wait_p50_s = Math.Round(sorted[sorted.Length / 2].TotalSeconds, 2),
            wait_p95_s = Math.Round(sorted[(int)(sorted.Length * 0.95)].TotalSeconds, 2),
            wait_max_s = Math.Round(max.TotalSeconds, 2),
            peak_working_set_mib = Process.GetCurrentProcess().PeakWorkingSet64 >> 20,
        });
    }

    [Fact]
    public async Task Small_jobs_submitted_after_a_big_one_finish_before_it_because_gpus_take_turns_by_job()
    {
        var model = TestModel.Folder;
        await using var sana = await ReliabilityCluster.StartAsync([[model], [model]], readyGpus: 2);
        var big = await sana.Client.SubmitAsync(Small(9) with { Count = 60, Steps = 2 }, "big");
        var small = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => sana.Client.SubmitAsync(Small(i), $"small-{i}")));
        var smallDone = await Task.WhenAll(small.Select(async id => (await sana.WaitAsync(id)).FinishedAt!.Value));
        var bigStatus = await sana.WaitAsync(big);

        Assert.Equal(JobState.Completed, bigStatus.State);
        Assert.All(smallDone, done => Assert.True(done < bigStatus.FinishedAt, "a small job waited for the big one to finish"));
        var worst = smallDone.Max() - bigStatus.SubmittedAt!.Value;
        ReliabilityLog.Write("grains", "fair-turns", new
        {
            big_job_images = 60,
            small_jobs = small.Length,
            small_jobs_done_before_big = smallDone.Count(d => d < bigStatus.FinishedAt),
            worst_small_wait_s = Math.Round(worst.TotalSeconds, 2),
            big_job_s = Math.Round((bigStatus.FinishedAt - bigStatus.SubmittedAt)!.Value.TotalSeconds, 2),
        });
    }
}
