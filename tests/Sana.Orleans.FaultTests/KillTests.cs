using System.Diagnostics;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Tests.Reliability;
using Sana.Orleans.Jobs;
using Sana.TestSupport;
using Xunit.Abstractions;

namespace Sana.Orleans.FaultTests;

/// <summary>
/// kill -9 of a silo process while its worker is held at an exact point of a chunk (a file gate, not timing), and of
/// the silo that hosts the job grain: the job completes, every index is stored exactly once, and every image is
/// byte-identical to a fault-free run.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class KillTests(AzuriteFixture azurite, ITestOutputHelper log) : IClassFixture<AzuriteFixture>
{
    internal static ImageJobRequest Request(ulong seed) => new()
    {
        Prompt = "a lighthouse at dusk",
        Count = 12,
        Width = 32,
        Height = 32,
        Steps = 4,
        Seed = seed,
    };

    [Theory]
    [InlineData("before-generate")]
    [InlineData("mid-generate")]
    [InlineData("while-storing")]
    public async Task Killing_a_silo_held_at_a_point_of_its_chunk_loses_no_image_and_changes_no_byte(string point)
    {
        await using var cluster = FaultCluster.Create(azurite.Azurite);
        await cluster.StartAsync("east", "west");
        var request = Request(1000 + (ulong)point.Length);
        var job = cluster.Grains.GetGrain<IGenerationJobGrain>("kill-" + point);
        await job.GetStatus();
        var host = await JobHostAsync(cluster, job);
        var victim = host == "east" ? "west" : "east"; // the job grain's own silo is the next test's victim
        cluster.Arm(victim, point);

        await cluster.Client.SubmitAsync(request, job.GetPrimaryKeyString());
        var held = await cluster.WaitReachedAsync(victim, point);
        var clock = Stopwatch.StartNew();
        await cluster[victim].KillAsync();
        var status = await cluster.WatchToEndAsync(job.GetPrimaryKeyString());
        var recovered = clock.Elapsed;

        Assert.Equal(JobState.Completed, status.State);
        var images = await cluster.Client.GetImagesAsync(job.GetPrimaryKeyString());
        Assert.Equal(Enumerable.Range(0, request.Count), images.Select(i => i.Index));
        var (lost, duplicated, differing) = await cluster.CompareAsync(job.GetPrimaryKeyString(), request);
        Assert.Equal((0, 0, 0), (lost, duplicated, differing));
        log.WriteLine($"{point}: killed {victim} holding '{held}'; job done {recovered.TotalSeconds:F1}s later");
        ReliabilityLog.Write("process", "kill-silo-" + point, new
        {
            faults_injected = 1,
            survived = true,
            images = request.Count,
            lost,
            duplicated,
            differing,
            job_done_after_kill_s = Math.Round(recovered.TotalSeconds, 1),
        });
    }

    // The job grain dies with its silo. Resuming waits for membership to declare the silo dead and then for Orleans'
    // directory lease on the dead silo's grains (Sana:Directory:RangeLeaseDuration); about 17 s with these settings.
    [Fact]
    public async Task Killing_the_silo_of_the_job_grain_resumes_the_job_from_its_table_state_on_another_silo()
    {
        await using var cluster = FaultCluster.Create(azurite.Azurite);
        await cluster.StartAsync("north", "south");
        // Enough images that the job cannot end in the moment between "3 recorded" and arming the gate (24 tiny images once
        // finished in 1 s on CI, before the gate was armed, and the test waited for a chunk that never came).
        var request = Request(77) with { Count = 96 };
        var job = cluster.Grains.GetGrain<IGenerationJobGrain>("kill-host");
        await job.GetStatus();
        var host = await JobHostAsync(cluster, job);

        // Let some images be recorded (in the job's table row) first, then hold the host's worker at its next chunk.
        await cluster.Client.SubmitAsync(request, job.GetPrimaryKeyString());
        using (var bound = new CancellationTokenSource(FaultCluster.Bound))
        {
            await foreach (var p in cluster.Client.WatchAsync(job.GetPrimaryKeyString(), bound.Token))
            {
                if (p.Completed >= 3)
                {
                    break;
                }
            }
        }

        cluster.Arm(host, "before-generate");
        await cluster.WaitReachedAsync(host, "before-generate");
        var recordedBefore = await cluster.Client.GetImagesAsync(job.GetPrimaryKeyString());
        var before = recordedBefore.Count;
        var clock = Stopwatch.StartNew();
        await cluster[host].KillAsync();
        var firstAfter = TimeSpan.Zero;
        var status = await cluster.WatchToEndAsync(job.GetPrimaryKeyString(), p =>
        {
            if (firstAfter == TimeSpan.Zero && p.Completed > before)
            {
                firstAfter = clock.Elapsed;
            }
        });
        var recovered = clock.Elapsed;

        Assert.Equal(JobState.Completed, status.State);
        var newHost = await FaultCluster.RetryAsync(() => JobHostAsync(cluster, job));
        Assert.NotEqual(host, newHost);
        var final = await cluster.Client.GetImagesAsync(job.GetPrimaryKeyString());
        Assert.Equal(Enumerable.Range(0, request.Count), final.Select(i => i.Index));
        Assert.Subset(final.ToHashSet(), recordedBefore.ToHashSet()); // resumed from its table row: nothing recorded was redone
        var (lost, duplicated, differing) = await cluster.CompareAsync(job.GetPrimaryKeyString(), request);
        if (FaultCluster.DifferingDump is { } dump)
        {
            File.WriteAllBytes("/tmp/differ-got.png", dump.Got ?? []);
            File.WriteAllBytes("/tmp/differ-want.png", dump.Want);
        }

        Assert.Equal((0, 0, 0), (lost, duplicated, differing));
        ReliabilityLog.Write("process", "kill-job-host", new
        {
            faults_injected = 1,
            survived = true,
            images = request.Count,
            images_done_before_kill = before,
            lost,
            duplicated,
            differing,
            first_image_after_kill_s = Math.Round(firstAfter.TotalSeconds, 1),
            job_done_after_kill_s = Math.Round(recovered.TotalSeconds, 1),
        });
    }

    /// <summary>The name of the silo that hosts <paramref name="job"/>'s activation.</summary>
    internal static async Task<string> JobHostAsync(FaultCluster cluster, IGenerationJobGrain job)
    {
        var management = cluster.Grains.GetGrain<IManagementGrain>(0);
        var address = await management.GetActivationAddress(job);
        var hosts = await management.GetDetailedHosts(onlyActive: true);
        return hosts.Single(h => h.SiloAddress.Equals(address)).SiloName;
    }
}

/// <summary>Process tests run one at a time: each starts silos that use both of the CI machine's cores.</summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection
{
    public const string Name = "processes";
}
