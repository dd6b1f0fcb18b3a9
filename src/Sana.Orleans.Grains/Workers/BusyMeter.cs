using System.Diagnostics;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// The fraction of the last <see cref="Window"/> (or of the meter's life, when shorter) during which a worker ran a
/// chunk. Thread-safe: the grain enters and exits, metrics collectors read from their own threads.
/// </summary>
internal sealed class BusyMeter
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private readonly Queue<(long Start, long End)> _spans = new();
    private readonly long _created = Stopwatch.GetTimestamp();
    private long? _since;

    public void Enter()
    {
        lock (_lock)
        {
            _since ??= Stopwatch.GetTimestamp();
        }
    }

    public void Exit()
    {
        lock (_lock)
        {
            if (_since is { } start)
            {
                _spans.Enqueue((start, Stopwatch.GetTimestamp()));
                _since = null;
            }
        }
    }

    public double Fraction
    {
        get
        {
            lock (_lock)
            {
                var now = Stopwatch.GetTimestamp();
                var windowStart = Math.Max(_created, now - (long)(Window.TotalSeconds * Stopwatch.Frequency));
                while (_spans.TryPeek(out var oldest) && oldest.End <= windowStart)
                {
                    _spans.Dequeue();
                }

                var busy = _spans.Sum(s => s.End - Math.Max(s.Start, windowStart));
                if (_since is { } running)
                {
                    busy += now - Math.Max(running, windowStart);
                }

                var span = now - windowStart;
                return span <= 0 ? 0 : Math.Clamp((double)busy / span, 0, 1);
            }
        }
    }
}
