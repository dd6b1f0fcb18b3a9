namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// Which image indices of a job are waiting, running on which GPU lane, or done. A lane is one chunk slot of a GPU
/// (<see cref="GpuLane"/>: a GPU with two lanes holds two chunks, the second queued behind the first on the worker);
/// every method below takes lanes, and a GPU with one lane is its own id. A lane that comes back for more takes the
/// next lowest waiting indices (so a faster GPU takes more, with no static split); a GPU that fails or vanishes gives
/// its unfinished indices back; an index is counted done once however often it comes back. Each GPU's speed is
/// measured from its finished chunks so that the tail of the job is shared out by speed (see <see cref="TryTake"/>).
/// No Orleans here; the clock is injectable for the dispatch simulation.
/// </summary>
internal sealed class ChunkDispatcher
{
    private const double RateSmoothing = 0.5; // weight of the newest chunk in a GPU's measured images/s
    private const double CopyMargin = 2; // re-run a straggler's images only where that halves their wait: not for jitter

    private readonly SortedSet<int> _pending = [];
    private readonly HashSet<int> _done = [];
    private readonly Dictionary<GpuLane, (int[] Chunk, long Started)> _inFlight = [];
    private readonly Dictionary<GpuLane, double> _rates = [];
    private readonly Dictionary<string, long> _lastCompletion = new(StringComparer.Ordinal); // by GPU, not lane
    private readonly TimeProvider _time;
    private readonly Func<int, int> _groupOf;

    /// <summary>
    /// <paramref name="total"/> indices, those in <paramref name="alreadyDone"/> done; <paramref name="groupOf"/> gives
    /// an index's group (a job's item): a chunk never spans two, since a GPU runs a chunk with one prompt.
    /// </summary>
    public ChunkDispatcher(int total, IEnumerable<int> alreadyDone, TimeProvider? time = null, Func<int, int>? groupOf = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        Total = total;
        _time = time ?? TimeProvider.System;
        _groupOf = groupOf ?? (_ => 0);
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

    public int InFlight => _inFlight.Values.Sum(c => c.Chunk.Length);

    /// <summary>GPUs with at least one chunk of this job (lanes of one GPU count once).</summary>
    public int GpusBusy => _inFlight.Keys.Select(l => l.GpuId).Distinct(StringComparer.Ordinal).Count();

    public bool IsComplete => _done.Count == Total;

    public bool IsBusy(GpuLane lane) => _inFlight.ContainsKey(lane);

    /// <summary>The GPU's measured images/s (smoothed over its chunks), or null before its first finished chunk.</summary>
    public double? RateOf(GpuLane lane) => _rates.TryGetValue(lane, out var rate) ? rate : null;

    /// <summary>
    /// Hands <paramref name="lane"/> its next chunk: <paramref name="capacity"/> images (the GPU's micro-batch times
    /// the chunk factor), fewer near the end so that the last images spread over <paramref name="gpuCount"/> GPUs
    /// instead of waiting on one. Once GPUs have measured speeds, "spread" means each GPU's share of what remains in
    /// proportion to its speed, so all finish together. When nothing waits, an idle GPU may re-run part of a slower
    /// GPU's chunk (<see cref="TryCopyStraggler"/>). Null when the GPU already has a chunk of this job or nothing is
    /// left for it.
    /// </summary>
    public int[]? TryTake(GpuLane lane, int capacity, int gpuCount)
    {
        if (IsBusy(lane))
        {
            return null;
        }

        if (_pending.Count == 0)
        {
            return TryCopyStraggler(lane, capacity, gpuCount);
        }

        var remaining = _pending.Count + OpenInFlight();
        var share = Share(lane, remaining, Math.Max(1, gpuCount));
        var size = Math.Clamp(Math.Min(capacity, (int)Math.Ceiling(share)), 1, _pending.Count);
        var group = _groupOf(_pending.Min);
        var chunk = _pending.Take(size).TakeWhile(i => _groupOf(i) == group).ToArray();
        foreach (var index in chunk)
        {
            _pending.Remove(index);
        }

        _inFlight[lane] = (chunk, _time.GetTimestamp());
        return chunk;
    }

    /// <summary>
    /// Ends <paramref name="lane"/>'s chunk: <paramref name="finished"/> indices are done; the chunk's others wait
    /// again. Returns the indices done for the first time (a re-stored image is not counted twice).
    /// </summary>
    public IReadOnlyList<int> Complete(GpuLane lane, IEnumerable<int> finished)
    {
        var firstTime = new List<int>();
        var count = 0;
        foreach (var index in finished)
        {
            count++;
            if (index >= 0 && index < Total && _done.Add(index))
            {
                _pending.Remove(index);
                firstTime.Add(index);
            }
        }

        if (count > 0 && _inFlight.TryGetValue(lane, out var flight))
        {
            // A chunk queued behind another of the same GPU starts when that one ends, not when it was handed out:
            // timed from its dispatch, a GPU with two lanes would measure at half its speed.
            var gpu = lane.GpuId;
            var now = _time.GetTimestamp();
            var started = _lastCompletion.TryGetValue(gpu, out var previous) ? Math.Max(previous, flight.Started) : flight.Started;
            _lastCompletion[gpu] = now;
            var seconds = _time.GetElapsedTime(started, now).TotalSeconds;
            if (seconds > 0)
            {
                var rate = count / seconds;
                _rates[lane] = _rates.TryGetValue(lane, out var old) ? old + (RateSmoothing * (rate - old)) : rate;
            }
        }

        Release(lane);
        return firstTime;
    }

    /// <summary>The GPU's chunk failed or its silo died: all its unfinished indices wait again, its speed is forgotten.</summary>
    public void Fail(GpuLane lane)
    {
        _rates.Remove(lane);
        Release(lane);
    }

    /// <summary>
    /// Images of <paramref name="remaining"/> this GPU should take so that it finishes when the others do: the even
    /// split until it has a measured speed, then its speed over the total (GPUs not measured yet count at the mean).
    /// </summary>
    private double Share(GpuLane lane, double remaining, int gpuCount)
    {
        if (!_rates.TryGetValue(lane, out var rate))
        {
            return Math.Ceiling(remaining / gpuCount);
        }

        // By GPU, not by lane: a lane's chunk is timed as the GPU's (see Complete), so the lanes of one GPU share its
        // speed; counted as separate GPUs they would halve each other's share and cut the job's end into ever smaller
        // chunks (new batch shapes, each paying ONNX Runtime's first-call cost, which halved a 64-image job's rate).
        var byGpu = _rates.GroupBy(r => r.Key.GpuId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Max(r => r.Value), StringComparer.Ordinal);
        rate = byGpu[lane.GpuId];
        var total = Math.Max(rate, byGpu.Values.Average() * Math.Max(gpuCount, byGpu.Count));
        return remaining * rate / total;
    }

    /// <summary>
    /// Nothing waits but chunks are still out on slower GPUs: this idle GPU re-runs part of the chunk that would end
    /// last - its images no other GPU re-runs yet, shared with the other idle GPUs - when it can end them in half the
    /// time left: that chunk's GPU is measured slower, or (not measured yet) has been running more than twice as long
    /// as this GPU needs for all of it.
    /// Whichever run of an image finishes first counts; an idle GPU costs nothing at the tail of a job.
    /// </summary>
    private int[]? TryCopyStraggler(GpuLane lane, int capacity, int gpuCount)
    {
        if (!_rates.TryGetValue(lane, out var rate))
        {
            return null;
        }

        var now = _time.GetTimestamp();
        int[]? best = null;
        var bestEnd = 0.0;
        foreach (var (other, flight) in _inFlight)
        {
            var open = flight.Chunk.Where(i => !_done.Contains(i) && _inFlight.Values.Count(f => f.Chunk.Contains(i)) == 1).ToArray();
            var end = SecondsLeft(other, now);
            var overdue = end is null && _time.GetElapsedTime(flight.Started, now).TotalSeconds > CopyMargin * flight.Chunk.Length / rate;
            if (open.Length > 0 && (end > 1 / rate || overdue) && (end ?? double.PositiveInfinity) > bestEnd)
            {
                (best, bestEnd) = (open, end ?? double.PositiveInfinity);
            }
        }

        // GPUs about to come back (within one image) count as idle: they share the copy out with this one.
        var idle = Math.Max(1, gpuCount - _inFlight.Keys.Count(g => (SecondsLeft(g, now) ?? double.PositiveInfinity) > 1 / rate));
        var size = best is null ? 0 : Math.Clamp((int)Math.Ceiling((double)best.Length / idle), 1, Math.Max(1, capacity));
        if (best is null || bestEnd <= CopyMargin * size / rate)
        {
            return null;
        }

        var part = best[^size..];
        _inFlight[lane] = (part, now);
        return part;
    }

    /// <summary>Seconds until the GPU's chunk ends by its measured speed (negative: overdue); null when not measured yet.</summary>
    private double? SecondsLeft(GpuLane lane, long now) => _rates.TryGetValue(lane, out var rate) && _inFlight.TryGetValue(lane, out var f)
        ? (f.Chunk.Length / rate) - _time.GetElapsedTime(f.Started, now).TotalSeconds
        : null;

    /// <summary>Images of the chunks out not finished yet by estimate: the measured speed of each chunk's GPU times its running time.</summary>
    private double OpenInFlight()
    {
        var now = _time.GetTimestamp();
        return _inFlight.Sum(f => _rates.TryGetValue(f.Key, out var rate)
            ? Math.Max(0, f.Value.Chunk.Length - (rate * _time.GetElapsedTime(f.Value.Started, now).TotalSeconds))
            : f.Value.Chunk.Length);
    }

    private void Release(GpuLane lane)
    {
        if (_inFlight.Remove(lane, out var flight))
        {
            foreach (var index in flight.Chunk)
            {
                if (!_done.Contains(index) && !_inFlight.Values.Any(f => f.Chunk.Contains(index)))
                {
                    _pending.Add(index);
                }
            }
        }
    }
}
