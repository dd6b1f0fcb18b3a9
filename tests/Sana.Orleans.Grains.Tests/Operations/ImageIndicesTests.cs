using Sana.Orleans.Grains.Telemetry;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains.Tests.Operations;

public sealed class ImageIndicesTests
{
    [Fact]
    public void Indices_are_logged_as_sorted_runs()
    {
        Assert.Equal("4-7,12", ImageIndices.Describe([7, 5, 4, 6, 12]));
        Assert.Equal("3", ImageIndices.Describe([3]));
        Assert.Equal("", ImageIndices.Describe([]));
    }

    [Fact]
    public async Task Drain_hands_back_waiters_at_once_and_reports_when_every_chunk_left()
    {
        using var drain = new WorkerDrain();
        var queue = new FairTurnQueue();
        drain.Leaving.Register(queue.CancelWaiting);
        await queue.EnterAsync("a", CancellationToken.None); // a running chunk
        var running = drain.Track();
        var waiter = queue.EnterAsync("b", CancellationToken.None); // a queued chunk
        using var queued = drain.Track();

        var draining = drain.DrainAsync(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5), CancellationToken.None);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(drain.IsLeaving);
        Assert.False(drain.Abort.IsCancellationRequested);
        queued.Dispose();
        Assert.False(draining.IsCompleted); // the running chunk may still finish
        queue.Exit();
        running.Dispose();
        Assert.True(await draining.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(queue.Busy);
    }
}
