using System.Diagnostics;

namespace Sana.Orleans.Grains.Workers;

/// <summary>Images per second over the chunks that finished within the last <see cref="Window"/>.</summary>
internal sealed class ThroughputMeter
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    private readonly Lock _lock = new();
    private readonly Queue<(long FinishedAt, int Images, TimeSpan Elapsed)> _recent = new();

    public long Total { get; private set; }

    public void Record(int images, TimeSpan elapsed)
    {
        lock (_lock)
        {
            Total += images;
            _recent.Enqueue((Stopwatch.GetTimestamp(), images, elapsed));
            Trim();
        }
    }

    public double ImagesPerSecond
    {
        get
        {
            lock (_lock)
            {
                Trim();
                var seconds = _recent.Sum(r => r.Elapsed.TotalSeconds);
                return seconds > 0 ? _recent.Sum(r => r.Images) / seconds : 0;
            }
        }
    }

    private void Trim()
    {
        while (_recent.TryPeek(out var oldest) && Stopwatch.GetElapsedTime(oldest.FinishedAt) > Window)
        {
            _recent.Dequeue();
        }
    }
}
