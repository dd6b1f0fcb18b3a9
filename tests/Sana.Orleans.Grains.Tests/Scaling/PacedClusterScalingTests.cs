using System.Globalization;
using Orleans.Runtime;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;
using Xunit.Abstractions;

namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>
/// The dispatch properties through real Orleans: three in-process silos, six workers running the tiny model at set
/// speeds (1 image/s set, one 4x slower), one silo killed mid-job in the second test. Makespans against the ideal
/// (images over the workers' total measured speed, the killed silo counted until it died) and the static equal split.
/// </summary>
[Collection(PacedCollection.Name)]
public sealed class PacedClusterScalingTests(ITestOutputHelper log)
{
    private const int Fast = 1000;
    private const int Slow = 4 * Fast;
    private const int Count = 64;

    private static readonly (int, int)[][] Shape = [[(2, Fast), (2, Slow)], [(2, Fast), (2, Fast)], [(2, Fast), (2, Fast)]];

    [Fact]
    public async Task Mixed_speed_workers_on_three_silos_make_every_image_once_and_report_makespan_against_ideal_and_static_split()
    {
        await using var paced = await PacedCluster.StartAsync(Shape);
        var (status, images, makespan) = await PacedCluster.RunAsync(paced.Grains.GetGrain<IGenerationJobGrain>("paced"), PacedCluster.Request(Count));

        var speeds = await paced.MeasuredSpeedsAsync();
        var ideal = Count / speeds.Values.Sum();
        var staticSplit = (Count / speeds.Count) / speeds.Values.Min();
        log.WriteLine(Figures("mixed speeds", makespan.TotalSeconds, ideal, staticSplit, images, speeds));
        AssertExactlyOnce(status, images);
        Assert.Equal(Count, await paced.CountStoredAsync("paced"));
    }

    [Fact]
    public async Task Killing_a_silo_mid_job_still_makes_every_image_once_and_reports_makespan_against_the_survivors_ideal()
    {
        await using var paced = await PacedCluster.StartAsync(Shape);
        var job = paced.Grains.GetGrain<IGenerationJobGrain>("paced-kill");
        await job.GetStatus();
        var jobSilo = await paced.Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(job);
        var victim = paced.Cluster.GetActiveSilos().First(s => s.InstanceNumber > 0 && !s.SiloAddress.Equals(jobSilo));
        var killedAt = TimeSpan.Zero;
        var (status, images, makespan) = await PacedCluster.RunAsync(job, PacedCluster.Request(Count), async (seen, _, elapsed) =>
        {
            if (seen == Count / 3)
            {
                killedAt = elapsed;
                await paced.Cluster.KillSiloAsync(victim);
            }
        });

        var speeds = await paced.MeasuredSpeedsAsync();
        var all = speeds.Values.Sum();
        var survivors = speeds.Where(s => !s.Key.StartsWith(victim.Name + "/", StringComparison.Ordinal)).Sum(s => s.Value);
        var ideal = killedAt.TotalSeconds + ((Count - (all * killedAt.TotalSeconds)) / survivors);
        var staticSplit = (Count / speeds.Count) / speeds.Values.Min();
        log.WriteLine(Figures($"{victim.Name} killed at {killedAt.TotalSeconds:F2}s", makespan.TotalSeconds, ideal, staticSplit, images, speeds));
        AssertExactlyOnce(status, images);
        Assert.Equal(Count, await paced.CountStoredAsync("paced-kill"));
        Assert.Contains(images, i => i.GpuId.StartsWith(victim.Name + "/", StringComparison.Ordinal));
    }

    // Wall-clock makespans on a shared 2-core machine are figures to record (the test output and
    // benchmarks/results/2026-11-28-cpu-simulation), not assertions: the makespan bounds are asserted on the
    // deterministic simulation (DispatchSimulationTests), where time is simulated.
    private static void AssertExactlyOnce(JobStatus status, JobImage[] images)
    {
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(Enumerable.Range(0, Count), images.Select(i => i.Index).Order());
    }

    private static string Figures(string what, double makespan, double ideal, double staticSplit, JobImage[] images, Dictionary<string, double> speeds) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{what}: {Count} images in {makespan:F2}s; measured speeds {string.Join(" ", speeds.Values.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)))} images/s; ideal {ideal:F2}s (x{makespan / ideal:F3}); static split {staticSplit:F2}s; by worker: {string.Join(", ", images.GroupBy(i => i.GpuId).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}");
}

/// <summary>The paced cluster tests run alone: their speeds hold only while the CPU is not shared with other clusters.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PacedCollection
{
    public const string Name = "paced";
}
