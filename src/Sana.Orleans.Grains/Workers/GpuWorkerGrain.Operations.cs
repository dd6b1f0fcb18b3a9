using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Telemetry;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// Operations around every call of this grain, kept out of its work: a logging scope (JobId, GpuId, ImageIndices) on
/// each line a chunk logs, the metrics of <see cref="SanaMetrics"/>, the load fields of <see cref="GpuWorkerStatus"/>,
/// and the graceful leave of <see cref="WorkerDrain"/>: once the silo is leaving, new chunks are refused and queued ones
/// sent away, both as <see cref="GpuLeavingException"/>; running ones finish, or are cancelled and handed back the same
/// way when the drain timeout passes. A grain call filter, so the chunk code itself stays about chunks.
/// </summary>
internal sealed partial class GpuWorkerGrain : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, int> _jobsInside = new(StringComparer.Ordinal);
    private KeyValuePair<string, object?>[]? _tags;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        EnsureOperations();
        if (context.InterfaceMethod.Name != nameof(IGpuWorkerGrain.RunChunk) || context.Request.GetArgument(0) is not ChunkRequest chunk)
        {
            await context.Invoke();
            if (context.Result is GpuWorkerStatus status)
            {
                var load = ReadLoad();
                context.Result = status with
                {
                    BusyFraction = load.BusyFraction,
                    DeviceMemoryUsedBytes = load.MemoryUsedBytes,
                    DeviceMemoryFreeBytes = load.MemoryFreeBytes,
                };
            }

            return;
        }

        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["JobId"] = chunk.JobId,
            ["GpuId"] = GpuId,
            ["ImageIndices"] = ImageIndices.Describe(chunk.Images.Select(i => i.Index)),
        });
        if (drain.IsLeaving)
        {
            throw HandBack(chunk);
        }

        using var tracked = drain.Track();
        _jobsInside.AddOrUpdate(chunk.JobId, 1, (_, n) => n + 1);
        var callerToken = context.Request.GetCancellationToken();
        try
        {
            await context.Invoke();
            if (context.Result is ChunkResult result)
            {
                metrics.ChunkDone(_tags!, result.Images.Length, result.Elapsed);
            }
        }
        catch (OperationCanceledException) when (drain.IsLeaving && !callerToken.IsCancellationRequested)
        {
            throw HandBack(chunk);
        }
        catch (Exception e) when (ChunkOutcomes.IsFault(ChunkOutcomes.Of(e)))
        {
            metrics.ChunkFailed(_tags!);
            throw;
        }
        finally
        {
            _jobsInside.AddOrUpdate(chunk.JobId, 0, (_, n) => n - 1);
            _jobsInside.TryRemove(new KeyValuePair<string, int>(chunk.JobId, 0));
        }
    }

    /// <summary>Hooks of the operations side, set up on the first call (the silo's Start call), once the GPU's key is read.</summary>
    private void EnsureOperations()
    {
        if (_tags is not null)
        {
            return;
        }

        _tags = SanaMetrics.GpuTags(GpuId, _siloName, _config.Device);
        loads.Add(GpuId, ReadLoad);
        drain.Leaving.Register(_turns.CancelWaiting);
        drain.Abort.Register(() =>
        {
            foreach (var jobId in _jobsInside.Keys)
            {
                _ = _chunks.CancelAsync(jobId);
            }
        });
    }

    /// <summary>Read by metrics collectors on their own threads: every source here is thread-safe.</summary>
    private GpuLoad ReadLoad()
    {
        var device = memory.Read(_config);
        return new GpuLoad(GpuId, _siloName, _config.Device, _turns.Waiting, _turns.Busy, _turns.BusyFraction, _meter.ImagesPerSecond,
            device.UsedBytes, device.FreeBytes);
    }

    private GpuLeavingException HandBack(ChunkRequest chunk)
    {
        metrics.ChunkHandedBack(_tags!);
        LogHandedBack(logger, GpuId, chunk.JobId, chunk.Images.Length);
        return new GpuLeavingException(GpuId, chunk.JobId);
    }
}
