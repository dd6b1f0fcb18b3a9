using Sana.Orleans.Grains.Jobs;

namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>The tail of a job in <see cref="ChunkDispatcher"/>: shares by measured speed, and re-runs of a straggler's chunk.</summary>
public sealed class SpeedAwareDispatchTests
{
    private readonly SimulationClock _clock = new();

    [Fact]
    public void A_gpu_speed_is_measured_from_its_finished_chunks()
    {
        var d = new ChunkDispatcher(100, [], _clock);
        var chunk = d.TryTake("a", 4, 1)!;
        Assert.Null(d.RateOf("a"));
        _clock.Now = 2;
        d.Complete("a", chunk);
        Assert.Equal(2.0, d.RateOf("a")!.Value, 6);
    }

    [Fact]
    public void Near_the_end_each_gpu_takes_a_share_in_proportion_to_its_measured_speed()
    {
        var d = new ChunkDispatcher(60, [], _clock);
        var fast = d.TryTake("fast", 10, 2)!;
        var slow = d.TryTake("slow", 10, 2)!;
        _clock.Now = 1;
        d.Complete("fast", fast); // 10 images/s
        _clock.Now = 4;
        d.Complete("slow", slow); // 2.5 images/s
        var fastShare = d.TryTake("fast", 100, 2)!.Length;
        var slowShare = d.TryTake("slow", 100, 2)!.Length;
        Assert.Equal(32, fastShare); // 40 left: 40 * 10 / 12.5
        Assert.Equal(8, slowShare);
    }

    [Fact]
    public void An_idle_fast_gpu_re_runs_the_chunk_of_a_gpu_that_has_run_over_twice_as_long_as_it_would_need()
    {
        var d = new ChunkDispatcher(8, [], _clock);
        var straggler = d.TryTake("slow", 4, 2)!;
        var first = d.TryTake("fast", 4, 2)!;
        _clock.Now = 1;
        d.Complete("fast", first); // 4 images/s: 1 s for the straggler's 4 images; nothing waits now
        _clock.Now = 1.5;
        Assert.Null(d.TryTake("fast", 4, 2)); // not yet twice as long
        _clock.Now = 2.5;
        var copy = d.TryTake("fast", 4, 2)!;
        Assert.Equal(straggler, copy);
        _clock.Now = 3.5;
        Assert.Equal(straggler, d.Complete("fast", copy));
        Assert.True(d.IsComplete);
        Assert.Empty(d.Complete("slow", straggler)); // the late original counts nothing
        Assert.Equal(8, d.Completed);
    }

    [Fact]
    public void A_chunk_not_yet_overdue_is_not_re_run()
    {
        var d = new ChunkDispatcher(8, [], _clock);
        d.TryTake("other", 4, 2);
        var first = d.TryTake("fast", 4, 2)!;
        _clock.Now = 1;
        d.Complete("fast", first); // the other chunk has run 1 s; "fast" needs 1 s for it: nothing gained
        Assert.Null(d.TryTake("fast", 4, 2));
    }

    [Fact]
    public void Re_run_images_wait_again_only_when_neither_run_finishes_them()
    {
        var d = new ChunkDispatcher(4, [], _clock);
        var first = d.TryTake("fast", 2, 2)!;
        var straggler = d.TryTake("slow", 2, 2)!;
        _clock.Now = 1;
        d.Complete("fast", first);
        _clock.Now = 2.5;
        var copy = d.TryTake("fast", 2, 2)!;
        Assert.Equal(straggler, copy);
        d.Fail("slow");
        Assert.Equal(0, d.Pending); // still running on "fast"
        d.Fail("fast");
        Assert.Equal(straggler, d.TryTake("other", 2, 1)!);
    }

    [Fact]
    public void Several_idle_gpus_share_out_one_straggler_chunk()
    {
        var d = new ChunkDispatcher(10, [], _clock);
        var straggler = d.TryTake("slow", 6, 3)!; // 4: the even split of 10 over 3
        var a = d.TryTake("a", 3, 3)!;
        var b = d.TryTake("b", 3, 3)!;
        _clock.Now = 1;
        d.Complete("a", a);
        d.Complete("b", b);
        _clock.Now = 3;
        var partA = d.TryTake("a", 6, 3)!;
        var partB = d.TryTake("b", 6, 3)!;
        Assert.Equal(2, partA.Length);
        Assert.Equal(straggler.Order(), partA.Concat(partB).Order());
    }
}
