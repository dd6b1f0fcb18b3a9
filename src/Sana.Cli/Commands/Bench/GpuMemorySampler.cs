using System.Globalization;

namespace Sana.Cli.Commands.Bench;

/// <summary>
/// Samples the device's used memory with nvidia-smi on a background thread. Whole-device figures (ONNX Runtime's
/// arena never hands memory back, so a peak covers everything allocated so far in the process, plus any other
/// process on the device: the baseline before loading is recorded for that).
/// </summary>
internal sealed class GpuMemorySampler : IDisposable
{
    private readonly int _deviceId;
    private readonly int _intervalMs;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private long _peak;
    private long _current;

    private GpuMemorySampler(int deviceId, int intervalMs, long first)
    {
        _deviceId = deviceId;
        _intervalMs = intervalMs;
        _current = _peak = first;
        _thread = new Thread(Loop) { IsBackground = true, Name = "sana-bench-memory" };
        _thread.Start();
    }

    public long Current => Interlocked.Read(ref _current);

    /// <summary>Starts sampling, or returns null when nvidia-smi cannot be run (the results then say n/a).</summary>
    public static GpuMemorySampler? TryStart(int deviceId, int intervalMs) =>
        Query(deviceId) is { } first ? new GpuMemorySampler(deviceId, intervalMs, first) : null;

    public void ResetPeak() => Interlocked.Exchange(ref _peak, Current);

    public long TakePeak()
    {
        if (Query(_deviceId) is { } now)
        {
            Observe(now);
        }

        return Interlocked.Read(ref _peak);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private void Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (Query(_deviceId) is { } used)
            {
                Observe(used);
            }

            _stop.Token.WaitHandle.WaitOne(_intervalMs);
        }
    }

    private void Observe(long used)
    {
        Interlocked.Exchange(ref _current, used);
        long seen;
        do
        {
            seen = Interlocked.Read(ref _peak);
        }
        while (used > seen && Interlocked.CompareExchange(ref _peak, used, seen) != seen);
    }

    internal static long? Query(int deviceId)
    {
        var text = BenchEnvironment.NvidiaSmi($"--query-gpu=memory.used --format=csv,noheader,nounits -i {deviceId.ToString(CultureInfo.InvariantCulture)}");
        return text is not null && long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var mib) ? mib : null;
    }
}
