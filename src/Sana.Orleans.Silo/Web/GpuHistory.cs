using Sana.Orleans.Gpus;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Web;

/// <summary>
/// One GPU's samples over the history window, oldest first, as parallel columns (compact in JSON): <c>At</c> is when
/// each was taken, in Unix milliseconds of the silo's clock.
/// </summary>
public sealed record GpuHistorySeries(string GpuId, long[] At, double[] ImagesPerSecond, double[] BusyFraction);

/// <summary>What /api/gpus/history answers: every GPU sampled within the window, ordered by GPU id.</summary>
public sealed record GpuHistorySnapshot(
    string Silo,
    DateTimeOffset At,
    double SampleIntervalSeconds,
    double WindowSeconds,
    IReadOnlyList<GpuHistorySeries> Gpus);

/// <summary>
/// The recent images/s and busy share of every GPU the silo sees, for the GPU page's charts: a fixed-size ring per GPU
/// (so memory is bounded by GPUs times <see cref="GpuHistoryOptions.SamplesPerGpu"/>), samples older than the window
/// dropped, and a GPU forgotten once all its samples have aged out (it left the cluster). Ages are measured on the
/// monotonic timestamp of <see cref="TimeProvider"/>, so a wall-clock step neither reorders nor wipes the history.
/// </summary>
public sealed class GpuHistory
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SampleRing> _byGpu = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public GpuHistory(GpuHistoryOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        SampleInterval = options.SampleInterval;
        Window = options.Window;
        SamplesPerGpu = options.SamplesPerGpu;
        _time = time;
    }

    public TimeSpan SampleInterval { get; }

    public TimeSpan Window { get; }

    public int SamplesPerGpu { get; }

    /// <summary>GPUs with at least one sample inside the window.</summary>
    public int GpuCount
    {
        get
        {
            lock (_lock)
            {
                Evict(_time.GetTimestamp());
                return _byGpu.Count;
            }
        }
    }

    /// <summary>
    /// Records one sampling round, all at the same instant. A GPU listed twice in one round keeps its last status, so
    /// each GPU has at most one sample per instant.
    /// </summary>
    public void Record(IEnumerable<GpuWorkerStatus> gpus)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            foreach (var gpu in gpus)
            {
                if (!_byGpu.TryGetValue(gpu.GpuId, out var ring))
                {
                    ring = new SampleRing(SamplesPerGpu);
                    _byGpu.Add(gpu.GpuId, ring);
                }

                ring.Add(new Sample(now, gpu.ImagesPerSecond, gpu.BusyFraction));
            }

            Evict(now);
        }
    }

    /// <summary>Every GPU's samples within the window, oldest first, stamped on the wall clock as of now.</summary>
    public IReadOnlyList<GpuHistorySeries> Read()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            Evict(now);
            var wallNow = _time.GetUtcNow().ToUnixTimeMilliseconds();
            return [.. _byGpu.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Value.ToSeries(g.Key, now, wallNow, _time))];
        }
    }

    private void Evict(long now)
    {
        List<string>? empty = null;
        foreach (var (gpuId, ring) in _byGpu)
        {
            ring.DropOlderThan(now, Window, _time);
            if (ring.Count == 0)
            {
                (empty ??= []).Add(gpuId);
            }
        }

        foreach (var gpuId in empty ?? [])
        {
            _byGpu.Remove(gpuId);
        }
    }

    private readonly record struct Sample(long Timestamp, double ImagesPerSecond, double BusyFraction);

    /// <summary>A circular buffer: adding to a full ring overwrites the oldest sample.</summary>
    private sealed class SampleRing(int capacity)
    {
        private readonly Sample[] _samples = new Sample[capacity];
        private int _oldest;

        public int Count { get; private set; }

        public void Add(Sample sample)
        {
            if (Count > 0 && sample.Timestamp <= _samples[Index(Count - 1)].Timestamp)
            {
                _samples[Index(Count - 1)] = sample;
                return;
            }

            if (Count == _samples.Length)
            {
                _samples[_oldest] = sample;
                _oldest = (_oldest + 1) % _samples.Length;
                return;
            }

            _samples[Index(Count)] = sample;
            Count++;
        }

        public void DropOlderThan(long now, TimeSpan window, TimeProvider time)
        {
            while (Count > 0 && time.GetElapsedTime(_samples[_oldest].Timestamp, now) > window)
            {
                _oldest = (_oldest + 1) % _samples.Length;
                Count--;
            }
        }

        public GpuHistorySeries ToSeries(string gpuId, long now, long wallNowMs, TimeProvider time)
        {
            var at = new long[Count];
            var imagesPerSecond = new double[Count];
            var busy = new double[Count];
            for (var i = 0; i < Count; i++)
            {
                var sample = _samples[Index(i)];
                at[i] = wallNowMs - (long)time.GetElapsedTime(sample.Timestamp, now).TotalMilliseconds;
                imagesPerSecond[i] = sample.ImagesPerSecond;
                busy[i] = sample.BusyFraction;
            }

            return new GpuHistorySeries(gpuId, at, imagesPerSecond, busy);
        }

        private int Index(int offset) => (_oldest + offset) % _samples.Length;
    }
}
