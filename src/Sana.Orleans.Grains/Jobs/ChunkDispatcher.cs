namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// Which image indices of a job are waiting, running on which GPU, or done. A GPU that comes back for more takes the
/// next lowest waiting indices (so a faster GPU takes more, with no static split); a GPU that fails or vanishes gives
/// its unfinished indices back; an index is counted done once however often it comes back. No Orleans here.
/// </summary>
internal sealed class ChunkDispatcher
{
    private readonly SortedSet<int> _pending = [];
    private readonly HashSet<int> _done = [];
    private readonly Dictionary<string, int[]> _inFlight = new(StringComparer.Ordinal);

    public ChunkDispatcher(int total, IEnumerable<int> alreadyDone)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        Total = total;
        _done.UnionWith(alreadyDone.Where(i => i >= 0 && i < total));
        for (var i = 0; i < total; i++)
        {
            if (!_done.Contains(i))
            {
                _pending.Add(i);
            }
        }
    }

    public int Total { get; }

    public int Completed => _done.Count;

    public int Pending => _pending.Count;

    public int InFlight => _inFlight.Values.Sum(c => c.Length);

    public int GpusBusy => _inFlight.Count;

    public bool IsComplete => _done.Count == Total;

    public bool IsBusy(string gpuId) => _inFlight.ContainsKey(gpuId);

    /// <summary>
    /// Hands <paramref name="gpuId"/> its next chunk: <paramref name="capacity"/> images (the GPU's micro-batch times
    /// the chunk factor), fewer near the end so that the last images spread over <paramref name="gpuCount"/> GPUs
    /// instead of waiting on one. Null when nothing waits or the GPU already has a chunk of this job.
    /// </summary>
    public int[]? TryTake(string gpuId, int capacity, int gpuCount)
    {
        if (_pending.Count == 0 || IsBusy(gpuId))
        {
            return null;
        }

        var gpus = Math.Max(1, gpuCount);
        var spread = (_pending.Count + InFlight + gpus - 1) / gpus;
        var size = Math.Clamp(Math.Min(capacity, spread), 1, _pending.Count);
        var chunk = _pending.Take(size).ToArray();
        foreach (var index in chunk)
        {
            _pending.Remove(index);
        }

        _inFlight[gpuId] = chunk;
        return chunk;
    }

    /// <summary>
    /// Ends <paramref name="gpuId"/>'s chunk: <paramref name="finished"/> indices are done; the chunk's others wait
    /// again. Returns the indices done for the first time (a re-stored image is not counted twice).
    /// </summary>
    public IReadOnlyList<int> Complete(string gpuId, IEnumerable<int> finished)
    {
        var firstTime = new List<int>();
        foreach (var index in finished)
        {
            if (index >= 0 && index < Total && _done.Add(index))
            {
                _pending.Remove(index);
                firstTime.Add(index);
            }
        }

        Release(gpuId);
        return firstTime;
    }

    /// <summary>The GPU's chunk failed or its silo died: all its unfinished indices wait again.</summary>
    public void Fail(string gpuId) => Release(gpuId);

    private void Release(string gpuId)
    {
        if (_inFlight.Remove(gpuId, out var chunk))
        {
            foreach (var index in chunk)
            {
                if (!_done.Contains(index))
                {
                    _pending.Add(index);
                }
            }
        }
    }
}
