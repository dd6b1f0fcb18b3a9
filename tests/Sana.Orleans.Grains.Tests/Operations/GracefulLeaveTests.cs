using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Sana.Orleans.Grains.Tests.Cluster;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Operations;

/// <summary>
/// A silo that stops gracefully finishes or hands back its chunks before it leaves: the job re-queues handed-back
/// images at once (not when membership finally declares the silo dead), loses none and stores none twice.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class GracefulLeaveTests
{
    private const int Count = 16;

    [Fact]
    public async Task A_stopping_silo_finishes_its_running_chunk_before_it_leaves_and_the_job_completes()
    {
        await using var sana = await SanaCluster.StartAsync(new ClusterSpec([[1], [2, 1], [1, 3]]), TestModel.Folder);
        var (job, victim) = await JobAndAnotherSiloAsync(sana, "leave-finish");
        var gate = PipelineGate.For(sana.Cluster.Options.ClusterId, victim.Name);
        var warmUps = gate.Finished; // each GPU's warm-up generation at load

        // The other silos' GPUs are held too: free, they would re-run the held chunk's images as a straggler's, the job
        // would complete from those copies and cancel the held chunk itself, and the stop would have nothing to wait for.
        var others = sana.Cluster.GetActiveSilos().Where(s => s.Name != victim.Name)
            .Select(s => PipelineGate.For(sana.Cluster.Options.ClusterId, s.Name)).ToArray();
        try
        {
            gate.Close();
            Array.ForEach(others, g => g.Close());
            await job.Submit(JobTests.Request(Count, seed: 11));
            await gate.Entered.WaitAsync(SanaCluster.Bound);

            var stopping = sana.Cluster.StopSiloAsync(victim);
            await UntilAsync(DrainOf(victim).Leaving); // the stop has begun: no new chunks go to the victim
            Assert.False(stopping.IsCompleted, "the silo stopped with its chunk still held");
            Assert.Equal(warmUps, gate.Finished);
            gate.Open(); // its running chunk may now finish, and the stop waits for it
            await stopping.WaitAsync(SanaCluster.Bound);
            Assert.True(gate.Finished > warmUps, "no held chunk ran to its end"); // the stop waited; it did not cancel them
        }
        finally
        {
            gate.Open();
            Array.ForEach(others, g => g.Open());
        }

        // Every index once: the images the victim handed back (its queued chunk) are made by the other silos.
        await CompletedImagesAsync(sana, job);
    }

    [Fact]
    public async Task A_leaving_silo_hands_back_a_chunk_it_cannot_finish_and_the_job_requeues_it_at_once()
    {
        await using var sana = await SanaCluster.StartAsync(new ClusterSpec([[1], [2, 1], [1, 3]]), TestModel.Folder);
        var (job, victim) = await JobAndAnotherSiloAsync(sana, "leave-handback");
        var gate = PipelineGate.For(sana.Cluster.Options.ClusterId, victim.Name);
        gate.Close();
        await job.Submit(JobTests.Request(Count, seed: 12));
        await gate.Entered.WaitAsync(SanaCluster.Bound);

        // The drain timeout passes at once: the chunk held at the gate is cancelled and handed back. The gate stays
        // closed and the silo stays up, so the job can only complete if it re-queued those images itself, at once.
        var clean = await DrainOf(victim).DrainAsync(TimeSpan.Zero, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.True(clean, "the held chunk left the GPU");
        var images = await CompletedImagesAsync(sana, job);
        Assert.DoesNotContain(images, i => i.GpuId.StartsWith(victim.Name + "/", StringComparison.Ordinal));

        gate.Open();
        await sana.Cluster.StopSiloAsync(victim).WaitAsync(SanaCluster.Bound);
    }

    private static async Task<JobImage[]> CompletedImagesAsync(SanaCluster sana, IGenerationJobGrain job)
    {
        using var bound = new CancellationTokenSource(SanaCluster.Bound);
        await foreach (var _ in job.Watch(bound.Token))
        {
        }

        var status = await job.GetStatus();
        var images = await job.GetImages();
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(Enumerable.Range(0, Count), images.Select(i => i.Index)); // every index, once
        Assert.Equal(Count, await sana.CountStoredAsync(job.GetPrimaryKeyString())); // no file twice, none missing
        return images;
    }

    private static WorkerDrain DrainOf(SiloHandle silo) =>
        ((InProcessSiloHandle)silo).SiloHost.Services.GetRequiredService<WorkerDrain>();

    private static async Task UntilAsync(CancellationToken signal)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (signal.Register(() => fired.TrySetResult()))
        {
            await fired.Task.WaitAsync(SanaCluster.Bound, CancellationToken.None);
        }
    }

    /// <summary>A job grain, activated, and a secondary silo other than the one that hosts it.</summary>
    private static async Task<(IGenerationJobGrain Job, SiloHandle Victim)> JobAndAnotherSiloAsync(SanaCluster sana, string jobId)
    {
        var job = sana.Job(jobId);
        await job.GetStatus();
        var jobSilo = await sana.Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(job);
        var victim = sana.Cluster.GetActiveSilos().First(s => s.InstanceNumber > 0 && !s.SiloAddress.Equals(jobSilo));
        return (job, victim);
    }
}
