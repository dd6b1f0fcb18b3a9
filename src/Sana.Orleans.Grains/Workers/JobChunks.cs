namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// The chunks a GPU grain holds (queued or running), by job, each with its own cancellation: cancelling a job here
/// cancels them all and completes when the last one has left, whatever the caller's token did on the way.
/// </summary>
internal sealed class JobChunks
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<Entry>> _byJob = new(StringComparer.Ordinal);

    public Entry Start(string jobId, CancellationToken callerToken)
    {
        var entry = new Entry(this, jobId, CancellationTokenSource.CreateLinkedTokenSource(callerToken));
        lock (_lock)
        {
            if (!_byJob.TryGetValue(jobId, out var list))
            {
                _byJob[jobId] = list = [];
            }

            list.Add(entry);
        }

        return entry;
    }

    public async Task CancelAsync(string jobId)
    {
        Entry[] entries;
        lock (_lock)
        {
            entries = _byJob.TryGetValue(jobId, out var list) ? [.. list] : [];
        }

        foreach (var entry in entries)
        {
            await entry.CancelAsync();
        }

        await Task.WhenAll(entries.Select(e => e.Left));
    }

    private void Remove(Entry entry)
    {
        lock (_lock)
        {
            if (_byJob.TryGetValue(entry.JobId, out var list) && list.Remove(entry) && list.Count == 0)
            {
                _byJob.Remove(entry.JobId);
            }
        }
    }

    /// <summary>One chunk's stay on the GPU; dispose when it leaves.</summary>
    internal sealed class Entry(JobChunks owner, string jobId, CancellationTokenSource source) : IDisposable
    {
        private readonly TaskCompletionSource _left = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string JobId { get; } = jobId;

        public CancellationToken Token => source.Token;

        public Task Left => _left.Task;

        public async Task CancelAsync()
        {
            try
            {
                await source.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // it left meanwhile
            }
        }

        public void Dispose()
        {
            owner.Remove(this);
            source.Dispose();
            _left.TrySetResult();
        }
    }
}
