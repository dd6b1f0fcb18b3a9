namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// Lets one chunk run at a time and picks the next waiter round-robin by job, so several jobs sharing a GPU each get
/// a turn whatever the order their chunks arrived in. A waiter whose token is cancelled leaves without running.
/// It also measures how much of the last minute a turn was held (<see cref="BusyFraction"/>), and can send every
/// waiter away at once (<see cref="CancelWaiting"/>: the silo is stopping and their chunks go back to their jobs).
/// </summary>
internal sealed class FairTurnQueue
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<Waiter>> _byJob = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _jobOrder = new();
    private readonly BusyMeter _meter = new();
    private bool _busy;

    /// <summary>Fraction of the last minute (or of this queue's life) during which a turn was held.</summary>
    public double BusyFraction => _meter.Fraction;

    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _byJob.Values.Sum(q => q.Count(w => !w.Turn.Task.IsCompleted));
            }
        }
    }

    public bool Busy
    {
        get
        {
            lock (_lock)
            {
                return _busy;
            }
        }
    }

    /// <summary>Completes when it is this caller's turn; the caller must call <see cref="Exit"/> afterwards.</summary>
    public Task EnterAsync(string jobId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_busy)
            {
                _busy = true;
                _meter.Enter();
                return Task.CompletedTask;
            }

            var waiter = new Waiter(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (!_byJob.TryGetValue(jobId, out var queue))
            {
                queue = new Queue<Waiter>();
                _byJob[jobId] = queue;
                _jobOrder.AddLast(jobId);
            }

            queue.Enqueue(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                waiter.Registration = cancellationToken.Register(() => waiter.Turn.TrySetCanceled(cancellationToken));
            }

            return waiter.Turn.Task;
        }
    }

    /// <summary>Ends the current turn and hands the next one to the job after the last one served.</summary>
    public void Exit()
    {
        lock (_lock)
        {
            _meter.Exit();
            while (_jobOrder.First is { } node)
            {
                var jobId = node.Value;
                var queue = _byJob[jobId];
                _jobOrder.RemoveFirst();
                var granted = false;
                while (queue.TryDequeue(out var waiter))
                {
                    waiter.Registration.Dispose();
                    if (waiter.Turn.TrySetResult())
                    {
                        granted = true;
                        break;
                    }
                }

                if (queue.Count > 0)
                {
                    _jobOrder.AddLast(jobId);
                }
                else
                {
                    _byJob.Remove(jobId);
                }

                if (granted)
                {
                    _meter.Enter();
                    return;
                }
            }

            _busy = false;
        }
    }

    /// <summary>Cancels every waiter (their EnterAsync throws <see cref="OperationCanceledException"/>); the turn holder keeps it.</summary>
    public void CancelWaiting()
    {
        lock (_lock)
        {
            foreach (var waiter in _byJob.Values.SelectMany(q => q))
            {
                waiter.Turn.TrySetCanceled();
            }
        }
    }

    private sealed class Waiter(TaskCompletionSource turn)
    {
        public TaskCompletionSource Turn { get; } = turn;

        public CancellationTokenRegistration Registration { get; set; }
    }
}
