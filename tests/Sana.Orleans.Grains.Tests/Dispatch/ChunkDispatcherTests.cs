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
