using Orleans.Runtime;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Cluster;

/// <summary>
/// Image i depends only on (model, request, seed + i): the same job on one silo with one worker, on three silos with
/// other capacities, and on three silos one of which is killed mid-job gives byte-identical files.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DeterminismAndFaultTests(ThreeSiloCluster fixture)
{
    private const int Count = 24;

    [Fact]
    public async Task The_same_job_on_one_silo_and_on_three_silos_gives_byte_identical_images()
    {
        var request = JobTests.Request(Count, seed: ulong.MaxValue - 5);
        var (threeStatus, threeImages) = await fixture.Sana.RunAsync("same-three", request);
        await using var one = await SanaCluster.StartAsync(new ClusterSpec([[2]]), TestModel.Folder);
        var (oneStatus, oneImages) = await one.RunAsync("same-one", request);

        Assert.Equal(JobState.Completed, threeStatus.State);
        Assert.Equal(JobState.Completed, oneStatus.State);
        var expected = await one.ReadImagesAsync(oneImages);
        var actual = await fixture.Sana.ReadImagesAsync(threeImages);
        Assert.Equal(Enumerable.Range(0, Count), actual.Keys);
        foreach (var (index, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[index]), $"image {index} differs");
        }
    }

    [Fact]
    public async Task Killing_a_silo_mid_job_loses_nothing_and_changes_no_byte()
    {
        var request = JobTests.Request(Count, seed: 1234);
        var (_, reference) = await fixture.Sana.RunAsync("kill-reference", request);
        var expected = await fixture.Sana.ReadImagesAsync(reference);

        await using var sana = await SanaCluster.StartAsync(new ClusterSpec([[1], [2, 1], [1, 3]]), TestModel.Folder);
        var job = sana.Job("killed");
        var management = sana.Grains.GetGrain<IManagementGrain>(0);

        // Hold one secondary's workers at their next chunk, but not the silo that hosts the job grain itself.
        await job.GetStatus();
        var jobSilo = await management.GetActivationAddress(job);
        var victim = sana.Cluster.GetActiveSilos().First(s => s.InstanceNumber > 0 && !s.SiloAddress.Equals(jobSilo));
        var gate = PipelineGate.For(sana.Cluster.Options.ClusterId, victim.Name);
        gate.Close();

        await job.Submit(request);
        await gate.Entered.WaitAsync(SanaCluster.Bound);
        await sana.Cluster.KillSiloAsync(victim);
        gate.Open();

        using var bound = new CancellationTokenSource(SanaCluster.Bound);
        await foreach (var _ in job.Watch(bound.Token))
        {
        }

        var status = await job.GetStatus();
        var images = await job.GetImages();
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(Enumerable.Range(0, Count), images.Select(i => i.Index));
        Assert.DoesNotContain(images, i => i.GpuId.StartsWith(victim.Name + "/", StringComparison.Ordinal));
        Assert.Equal(Count, await sana.CountStoredAsync("killed"));
        var actual = await sana.ReadImagesAsync(images);
        foreach (var (index, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[index]), $"image {index} differs after the fault");
        }

        // The manifest is complete after the fault: every image once, with the SHA-256 of what is stored.
        var manifest = await ItemJobTests.ReadManifestAsync(sana, "killed");
        Assert.Equal(Enumerable.Range(0, Count), manifest.Select(m => m.GetProperty("job_index").GetInt32()));
        Assert.All(manifest, m => Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(actual[m.GetProperty("job_index").GetInt32()])),
            m.GetProperty("sha256").GetString()));
    }

    [Fact]
    public async Task Killing_the_silo_of_the_job_grain_resumes_the_job_from_its_persisted_state()
    {
        var request = JobTests.Request(Count, seed: 99);
        var (_, reference) = await fixture.Sana.RunAsync("resume-reference", request);
        var expected = await fixture.Sana.ReadImagesAsync(reference);

        await using var sana = await SanaCluster.StartAsync(new ClusterSpec([[2], [1], [1, 2]]), TestModel.Folder);
        var management = sana.Grains.GetGrain<IManagementGrain>(0);
        var (job, host) = await JobHostedOnASecondaryAsync(sana, management);

        // Every worker of the job's own silo waits at its gate, so the silo dies with chunks in flight.
        var gate = PipelineGate.For(sana.Cluster.Options.ClusterId, host.Name);
        gate.Close();
        await job.Submit(request);
        await gate.Entered.WaitAsync(SanaCluster.Bound);
        await sana.Cluster.KillSiloAsync(host);
        gate.Open();

        // The next call activates the job elsewhere from storage, and it carries on without redoing finished images.
        using var bound = new CancellationTokenSource(SanaCluster.Bound);
        JobStatus status;
        while (true)
        {
            try
            {
                await foreach (var _ in job.Watch(bound.Token))
                {
                }

                status = await job.GetStatus();
                break;
            }
            catch (Exception e) when (e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException)
            {
                // the call went to the dead activation before membership declared its silo dead; call again
            }
        }

        Assert.Equal(JobState.Completed, status.State);
        var images = await job.GetImages();
        Assert.Equal(Enumerable.Range(0, Count), images.Select(i => i.Index));
        Assert.Equal(Count, await sana.CountStoredAsync(job.GetPrimaryKeyString()));
        var actual = await sana.ReadImagesAsync(images);
        foreach (var (index, bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[index]), $"image {index} differs after the job moved");
        }
    }

    private static async Task<(IGenerationJobGrain Job, global::Orleans.TestingHost.SiloHandle Host)> JobHostedOnASecondaryAsync(
        SanaCluster sana, IManagementGrain management)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var job = sana.Job($"resumed-{attempt}");
            await job.GetStatus();
            var address = await management.GetActivationAddress(job);
            var host = sana.Cluster.GetActiveSilos().Single(s => s.SiloAddress.Equals(address));
            if (host.InstanceNumber > 0)
            {
                return (job, host);
            }
        }

        throw new InvalidOperationException("no job grain landed on a secondary silo in 50 tries");
    }
}
