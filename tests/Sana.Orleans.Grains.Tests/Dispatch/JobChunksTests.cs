using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains.Tests.Dispatch;

public sealed class JobChunksTests
{
    [Fact]
    public async Task Cancelling_a_job_cancels_its_chunks_only_and_completes_when_they_have_left()
    {
        var chunks = new JobChunks();
        var a = chunks.Start("A", CancellationToken.None);
        using var b = chunks.Start("B", CancellationToken.None);
        var cancelled = chunks.CancelAsync("A");
        Assert.True(a.Token.IsCancellationRequested);
        Assert.False(b.Token.IsCancellationRequested);
        Assert.False(cancelled.IsCompleted);
        a.Dispose();
        await cancelled.WaitAsync(TimeSpan.FromSeconds(10));
        await chunks.CancelAsync("nothing-here").WaitAsync(TimeSpan.FromSeconds(10));
    }
}
