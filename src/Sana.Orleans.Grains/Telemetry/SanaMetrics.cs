using System.Diagnostics.Metrics;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Telemetry;

/// <summary>
/// The Sana instruments (meter <see cref="MeterName"/>): what a GPU did (images, chunk latency, failures, hand-backs),
/// how loaded it is now (queue, busy, images/s, device memory: gauges read at collection time from
/// <see cref="LocalGpuLoads"/>), and how jobs end (latency by final state, failures). Per-GPU series carry the tags
/// gpu, silo and device. One per silo; any exporter (the silo's Prometheus endpoint, OTLP, a MeterListener) reads it.
/// </summary>
public sealed class SanaMetrics
{
    public const string MeterName = "Sana.Orleans";

    private readonly Counter<long> _images;
    private readonly Counter<long> _chunkFailures;
    private readonly Counter<long> _handedBack;
    private readonly Histogram<double> _chunkDuration;
    private readonly Histogram<double> _jobDuration;
    private readonly Counter<long> _jobFailures;

    public SanaMetrics(IMeterFactory meters, LocalGpuLoads loads)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(loads);
        var meter = meters.Create(MeterName);
        _images = meter.CreateCounter<long>("sana.gpu.images", "{image}", "Images a GPU generated and stored");
        _chunkFailures = meter.CreateCounter<long>("sana.gpu.chunk.failures", "{chunk}", "Chunks that failed on a GPU (not cancelled, not handed back)");
        _handedBack = meter.CreateCounter<long>("sana.gpu.chunk.handed_back", "{chunk}", "Chunks a stopping silo's GPU handed back to their job");
        _chunkDuration = meter.CreateHistogram<double>("sana.gpu.chunk.duration", "s", "Time a GPU took for one chunk: generate, encode, store");
        _jobDuration = meter.CreateHistogram<double>("sana.job.duration", "s", "Time from submit to the end of a job, by final state");
        _jobFailures = meter.CreateCounter<long>("sana.job.failures", "{job}", "Jobs that ended failed");

        meter.CreateObservableGauge("sana.gpu.queue.depth", () => Observe(loads, l => l.Queued), "{chunk}", "Chunks waiting for a GPU");
        meter.CreateObservableGauge("sana.gpu.busy", () => Observe(loads, l => l.Busy ? 1 : 0), "1", "1 while a GPU runs a chunk");
        meter.CreateObservableGauge("sana.gpu.busy.fraction", () => Observe(loads, l => l.BusyFraction), "1", "Fraction of the last minute a GPU ran chunks");
        meter.CreateObservableGauge("sana.gpu.images.rate", () => Observe(loads, l => l.ImagesPerSecond), "{image}/s", "Images per second of a GPU over its chunks of the last minute");
        meter.CreateObservableGauge("sana.gpu.memory.used", () => Observe(loads, l => l.MemoryUsedBytes, known: true), "By", "Device memory in use (a CPU worker: the process)");
        meter.CreateObservableGauge("sana.gpu.memory.free", () => Observe(loads, l => l.MemoryFreeBytes, known: true), "By", "Device memory free (a CPU worker: memory the process may still use)");
    }

    public static KeyValuePair<string, object?>[] GpuTags(string gpuId, string silo, string device) =>
        [new("gpu", gpuId), new("silo", silo), new("device", device)];

    public void ChunkDone(KeyValuePair<string, object?>[] gpuTags, int images, TimeSpan elapsed)
    {
        _images.Add(images, gpuTags);
        _chunkDuration.Record(elapsed.TotalSeconds, gpuTags);
    }

    public void ChunkFailed(KeyValuePair<string, object?>[] gpuTags) => _chunkFailures.Add(1, gpuTags);

    public void ChunkHandedBack(KeyValuePair<string, object?>[] gpuTags) => _handedBack.Add(1, gpuTags);

    public void JobEnded(JobState state, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("state", state.ToString());
        _jobDuration.Record(Math.Max(0, elapsed.TotalSeconds), tag);
        if (state == JobState.Failed)
        {
            _jobFailures.Add(1);
        }
    }

    private static IEnumerable<Measurement<double>> Observe(LocalGpuLoads loads, Func<GpuLoad, double> value, bool known = false)
    {
        foreach (var load in loads.Read())
        {
            var v = value(load);
            if (!known || v >= 0)
            {
                yield return new Measurement<double>(v, GpuTags(load.GpuId, load.Silo, load.Device));
            }
        }
    }
}
