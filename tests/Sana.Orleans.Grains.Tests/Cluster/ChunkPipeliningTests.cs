using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Cluster;

/// <summary>
/// The GPU is warmed up before any job reaches it, and with Sana:Grains:ChunksInFlightPerGpu=2 a job keeps a second
/// chunk queued on it while enough images wait, but not at the end of the job.
/// One silo with one real-model worker of micro-batch 2, held at its gate.
/// </summary>
public sealed class ChunkPipeliningTests
{
    [Fact]
    public async Task A_gpu_is_warmed_up_at_load_and_holds_a_second_chunk_while_plenty_waits_but_not_at_the_tail()
    {
        await using var sana = await SanaCluster.StartAsync(
            new ClusterSpec([[2]]), TestModel.Folder, new Dictionary<string, string> { ["Sana:Grains:ChunksInFlightPerGpu"] = "2" });
        var gpu = Assert.Single(await sana.GpuDirectory.GetGpus());
        var worker = sana.Grains.GetGrain<IGpuWorkerGrain>(gpu.GpuId);
        var gate = PipelineGate.For(sana.Cluster.Options.ClusterId, ClusterSpec.SiloName(0));

        // Warmed up before the directory listed it: one generation, counted nowhere.
        Assert.Equal(1, gate.Finished);
        Assert.Equal(0, (await worker.GetStatus()).ImagesDone);

        // 12 images = 6 chunks of 2: while the first is held on the GPU, the second waits on the worker for its turn.
        gate.Close();
        var job = sana.Job("pipelined");
        await job.Submit(JobTests.Request(12, seed: 3));
        await gate.Entered.WaitAsync(SanaCluster.Bound);
        var status = await PollAsync(worker, s => s.Queued == 1);
        Assert.True(status.Busy);
        Assert.Equal(1, status.Queued);
        Assert.Equal(4, (await job.GetStatus()).InFlight);
        gate.Open();
        var images = await WaitCompletedAsync(job);
        Assert.Equal(Enumerable.Range(0, 12), images.Select(i => i.Index).Order());
        Assert.Equal(1 + 6, gate.Finished); // the warm-up, then one call per chunk
        Assert.Equal(12, (await worker.GetStatus()).ImagesDone);

        // 3 images: after the first chunk of 2 only one waits, less than a full chunk: it goes out when the GPU is free.
        gate.Close();
        var tail = sana.Job("tail");
        await tail.Submit(JobTests.Request(3, seed: 4));
        await PollAsync(worker, s => s.Busy);
        await Task.Delay(TimeSpan.FromSeconds(1)); // room for a wrongly queued second chunk to arrive
        Assert.Equal(0, (await worker.GetStatus()).Queued);
        Assert.Equal(2, (await tail.GetStatus()).InFlight);
        gate.Open();
        Assert.Equal(3, (await WaitCompletedAsync(tail)).Length);
    }

    private static async Task<GpuWorkerStatus> PollAsync(IGpuWorkerGrain worker, Func<GpuWorkerStatus, bool> until)
    {
        var wait = System.Diagnostics.Stopwatch.StartNew();
        var status = await worker.GetStatus();
        while (!until(status) && wait.Elapsed < SanaCluster.Bound)
        {
            await Task.Delay(20); // a grain's state raises no event
            status = await worker.GetStatus();
        }

        Assert.True(until(status), $"worker state not reached: {status}");
        return status;
    }

    private static async Task<JobImage[]> WaitCompletedAsync(IGenerationJobGrain job)
    {
        using var bound = new CancellationTokenSource(SanaCluster.Bound);
        await foreach (var _ in job.Watch(bound.Token))
        {
        }

        Assert.Equal(JobState.Completed, (await job.GetStatus()).State);
        return await job.GetImages();
    }
}
