using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains.Tests.Dispatch;

public sealed class FairTurnQueueTests
{
    [Fact]
    public async Task Waiting_jobs_take_turns_round_robin_whatever_their_arrival_order()
    {
        var q = new FairTurnQueue();
        await q.EnterAsync("running", CancellationToken.None);
        var a1 = q.EnterAsync("A", CancellationToken.None);
        var a2 = q.EnterAsync("A", CancellationToken.None);
        var a3 = q.EnterAsync("A", CancellationToken.None);
        var b1 = q.EnterAsync("B", CancellationToken.None);
        var b2 = q.EnterAsync("B", CancellationToken.None);
        Assert.Equal(5, q.Waiting);

        var order = new List<Task> { };
        var pending = new List<(string Name, Task Turn)> { ("a1", a1), ("a2", a2), ("a3", a3), ("b1", b1), ("b2", b2) };
        var served = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            q.Exit();
            var next = pending.Single(p => p.Turn.IsCompleted);
            served.Add(next.Name);
            pending.Remove(next);
        }

        Assert.Equal(["a1", "b1", "a2", "b2", "a3"], served);
        q.Exit();
        Assert.False(q.Busy);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_without_taking_a_turn()
    {
        var q = new FairTurnQueue();
        await q.EnterAsync("x", CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = q.EnterAsync("A", cts.Token);
        var next = q.EnterAsync("B", CancellationToken.None);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        q.Exit();
        Assert.True(next.IsCompletedSuccessfully);
        Assert.Equal(0, q.Waiting);
    }
}
