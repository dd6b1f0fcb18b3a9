using Sana.Orleans.Grains.Jobs;

namespace Sana.Orleans.Grains.Tests.Dispatch;

public sealed class ChunkDispatcherTests
{
    [Fact]
    public void A_gpu_that_comes_back_first_takes_the_next_chunk()
    {
        var d = new ChunkDispatcher(10, []);
        Assert.Equal([0, 1], d.TryTake("fast", 2, 2)!);
        Assert.Equal([2, 3], d.TryTake("slow", 2, 2)!);
        d.Complete("fast", [0, 1]);
        Assert.Equal([4, 5], d.TryTake("fast", 2, 2)!);
        d.Complete("fast", [4, 5]);
        Assert.Equal([6, 7], d.TryTake("fast", 2, 2)!);
        Assert.Null(d.TryTake("slow", 2, 2)); // one chunk per GPU at a time
    }

    [Fact]
    public void A_gpus_lanes_hold_a_chunk_each_count_as_one_busy_gpu_and_fail_on_their_own()
    {
        var first = new GpuLane("s0/gpu0", 0);
        var second = new GpuLane("s0/gpu0", 1);
        Assert.Equal(first, (GpuLane)"s0/gpu0"); // a GPU id is its first lane
        Assert.Equal(("s0/gpu0", "s0/gpu0#2"), (first.ToString(), second.ToString()));

        var d = new ChunkDispatcher(12, []);
        Assert.Equal([0, 1, 2, 3], d.TryTake(first, 4, 1)!);
        Assert.Equal([4, 5, 6, 7], d.TryTake(second, 4, 1)!);
        Assert.Equal(1, d.GpusBusy);
        Assert.Equal(8, d.InFlight);

        // The queued chunk failed (its silo handed it back): only its images wait again; the running one stays out.
        d.Fail(second);
        Assert.True(d.IsBusy(first));
        Assert.Equal(8, d.Pending);
        Assert.Equal([4, 5, 6, 7], d.TryTake(second, 4, 1)!);
        Assert.Equal(["0", "1", "2", "3"], d.Complete(first, [0, 1, 2, 3]).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(d.IsBusy(second));
    }

    [Fact]
    public void A_chunk_queued_behind_another_on_the_same_gpu_is_timed_from_when_that_one_ended()
    {
        var clock = new Scaling.SimulationClock();
        var d = new ChunkDispatcher(8, [], clock);
        var (first, second) = (new GpuLane("g", 0), new GpuLane("g", 1));
        d.TryTake(first, 2, 1);
        d.TryTake(second, 2, 1); // handed out at once, runs after the first
        clock.Now = 2;
        d.Complete(first, [0, 1]);
        clock.Now = 4;
        d.Complete(second, [2, 3]);
        Assert.Equal(1.0, d.RateOf(first)!.Value, 6);
        Assert.Equal(1.0, d.RateOf(second)!.Value, 6); // 2 images in the 2 s it ran, not the 4 s since dispatch
    }

    [Fact]
    public void The_lanes_of_one_gpu_share_its_speed_so_a_single_gpus_chunks_stay_full()
    {
        // One GPU, two lanes, 16 images per chunk at 1.6 images/s: 64 images must go out as four full chunks. Counted
        // as two GPUs, the lanes halved each other's share once both were measured and cut the end into 8, 4, 2, 1, 1.
        var clock = new Scaling.SimulationClock();
        var d = new ChunkDispatcher(64, [], clock);
        var lanes = new[] { new GpuLane("g", 0), new GpuLane("g", 1) };
        var sizes = new List<int>();
        var running = new Queue<(GpuLane Lane, int[] Chunk)>();
        foreach (var lane in lanes)
        {
            var chunk = d.TryTake(lane, 16, 1)!;
            sizes.Add(chunk.Length);
            running.Enqueue((lane, chunk));
        }

        while (running.TryDequeue(out var done))
        {
            clock.Now += done.Chunk.Length / 1.6; // the GPU runs its chunks one after another
            d.Complete(done.Lane, done.Chunk);
            if (d.Pending > 0 && d.TryTake(done.Lane, 16, 1) is { } next)
            {
                sizes.Add(next.Length);
                running.Enqueue((done.Lane, next));
            }
        }

        Assert.Equal([16, 16, 16, 16], sizes);
        Assert.True(d.IsComplete);
    }

    [Fact]
    public void A_failed_chunk_gives_its_indices_back_and_they_go_out_again_first()
    {
        var d = new ChunkDispatcher(6, []);
        d.TryTake("a", 3, 2);
        d.TryTake("b", 3, 2);
        d.Fail("a");
        Assert.Equal(3, d.Pending);
        Assert.Equal([0, 1, 2], d.TryTake("b2", 3, 2)!);
    }

    [Fact]
    public void A_partly_finished_chunk_returns_only_its_unfinished_indices()
    {
        var d = new ChunkDispatcher(4, []);
        d.TryTake("a", 4, 1);
        Assert.Equal([0, 2], d.Complete("a", [0, 2]));
        Assert.Equal([1, 3], d.TryTake("a", 4, 1)!);
    }

    [Fact]
    public void An_index_stored_twice_counts_once()
    {
        var d = new ChunkDispatcher(3, [1]);
        Assert.Equal(1, d.Completed);
        d.TryTake("a", 3, 1);
        Assert.Equal([0, 2], d.Complete("a", [0, 1, 2]));
        Assert.True(d.IsComplete);
        Assert.Equal(3, d.Completed);
    }

    [Fact]
    public void Near_the_end_chunks_shrink_so_the_last_images_spread_over_the_gpus()
    {
        var d = new ChunkDispatcher(6, []);
        Assert.Equal(2, d.TryTake("a", 8, 3)!.Length);
        Assert.Equal(2, d.TryTake("b", 8, 3)!.Length);
        Assert.Equal(2, d.TryTake("c", 8, 3)!.Length);
    }

    [Fact]
    public void Resuming_skips_what_was_done_before_the_crash()
    {
        var d = new ChunkDispatcher(5, [0, 1, 3]);
        Assert.Equal([2, 4], d.TryTake("a", 5, 1)!);
    }
}
