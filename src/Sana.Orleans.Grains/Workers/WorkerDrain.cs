namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// This silo's "we are leaving" signal for its GPU grains. Once <see cref="Leaving"/> fires, workers refuse new chunks
/// and hand back the ones still queued; running chunks go on until <see cref="Abort"/> fires, which cancels them and
/// hands them back too. <see cref="Track"/> counts the chunk calls in a worker so the silo knows when all have left.
/// </summary>
public sealed class WorkerDrain : IDisposable
{
    private readonly CancellationTokenSource _leaving = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _lock = new();
    private int _active;
    private TaskCompletionSource _idle = Completed();

    public CancellationToken Leaving => _leaving.Token;

    public CancellationToken Abort => _abort.Token;

    public bool IsLeaving => _leaving.IsCancellationRequested;

    /// <summary>Chunk calls inside a worker now.</summary>
    public int Active
    {
        get
        {
            lock (_lock)
            {
                return _active;
            }
        }
    }

    /// <summary>Marks one chunk call as inside a worker until the returned handle is disposed.</summary>
    public IDisposable Track()
    {
        lock (_lock)
        {
            if (_active++ == 0)
            {
                _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        return new Handle(this);
    }

    /// <summary>
    /// Refuses new chunks and hands back queued ones; waits up to <paramref name="finishWithin"/> (or until
    /// <paramref name="cancellationToken"/>) for running chunks to finish, then cancels what still runs and waits for it
    /// to leave (at most <paramref name="leaveWithin"/>). True when every chunk call had left in time.
    /// </summary>
    public async Task<bool> DrainAsync(TimeSpan finishWithin, TimeSpan leaveWithin, CancellationToken cancellationToken)
    {
        await _leaving.CancelAsync().ConfigureAwait(false);
        if (await WaitIdleAsync(finishWithin, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        await _abort.CancelAsync().ConfigureAwait(false);
        return await WaitIdleAsync(leaveWithin, CancellationToken.None).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _leaving.Dispose();
        _abort.Dispose();
    }

    private async Task<bool> WaitIdleAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        Task idle;
        lock (_lock)
        {
            idle = _idle.Task;
        }

        try
        {
            await idle.WaitAsync(within, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    private void Exit()
    {
        lock (_lock)
        {
            if (--_active == 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.TrySetResult();
        return done;
    }

    private sealed class Handle(WorkerDrain owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Exit();
            }
        }
    }
}
