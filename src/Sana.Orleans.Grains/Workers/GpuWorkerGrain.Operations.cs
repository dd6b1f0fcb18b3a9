using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
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
    private WorkerDrain? _drain;
    private SanaMetrics? _metrics;
    private IDeviceMemoryProbe? _memory;

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
        if (_drain!.IsLeaving)
        {
            throw HandBack(chunk);
        }

        using var tracked = _drain.Track();
        _jobsInside.AddOrUpdate(chunk.JobId, 1, (_, n) => n + 1);
        var callerToken = context.Request.GetCancellationToken();
        try
        {
            await context.Invoke();
            if (context.Result is ChunkResult result)
            {
                _metrics!.ChunkDone(_tags!, result.Images.Length, result.Elapsed);
            }
        }
        catch (OperationCanceledException) when (_drain.IsLeaving && !callerToken.IsCancellationRequested)
        {
            throw HandBack(chunk);
        }
        catch (Exception e) when (e is not (OperationCanceledException or JobRequestException or GpuLeavingException or GpuUnavailableException))
        {
            _metrics!.ChunkFailed(_tags!);
            throw;
        }
        finally
        {
            _jobsInside.AddOrUpdate(chunk.JobId, 0, (_, n) => n - 1);
            _jobsInside.TryRemove(new KeyValuePair<string, int>(chunk.JobId, 0));
        }
    }

    /// <summary>Services and hooks of the operations side, set up on the first call (the silo's Start call).</summary>
    private void EnsureOperations()
    {
        if (_drain is not null)
        {
            return;
        }

        _drain = ServiceProvider.GetRequiredService<WorkerDrain>();
        _metrics = ServiceProvider.GetRequiredService<SanaMetrics>();
        _memory = ServiceProvider.GetRequiredService<IDeviceMemoryProbe>();
        _tags = SanaMetrics.GpuTags(GpuId, _siloName, _config.Device);
        ServiceProvider.GetRequiredService<LocalGpuLoads>().Add(GpuId, ReadLoad);
        _drain.Leaving.Register(_turns.CancelWaiting);
        _drain.Abort.Register(() =>
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
        var device = _memory?.Read(_config) ?? DeviceMemory.Unknown;
        return new GpuLoad(GpuId, _siloName, _config.Device, _turns.Waiting, _turns.Busy, _turns.BusyFraction, _meter.ImagesPerSecond,
            device.UsedBytes, device.FreeBytes);
    }

    private GpuLeavingException HandBack(ChunkRequest chunk)
    {
        _metrics!.ChunkHandedBack(_tags!);
        LogHandedBack(logger, GpuId, chunk.JobId, chunk.Images.Length);
        return new GpuLeavingException(GpuId, chunk.JobId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{GpuId}: silo stopping; job {JobId} chunk of {Images} images handed back")]
    private static partial void LogHandedBack(ILogger logger, string gpuId, string jobId, int images);
}
