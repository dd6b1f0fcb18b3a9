using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Sana.Inference.Pipeline;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Placement;
using Sana.Orleans.Grains.Roster;
using Sana.Orleans.Grains.Telemetry;
using Sana.Orleans.Jobs;
using Sana.Storage;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// One device of this silo. Pinned to the silo named in its key, never moved, never collected while the silo lives.
/// Reentrant so that status reads and queued chunks of other jobs interleave; the <see cref="FairTurnQueue"/> lets
/// one chunk touch the pipeline at a time, and the pipeline itself runs on a thread of its own (<see cref="DeviceThread"/>: ONNX Runtime blocks).
/// A model that does not load, or a session that fails chunks in a row, makes the GPU unhealthy: it refuses chunks
/// (<see cref="GpuUnavailableException"/>, so jobs move them) until its health probe (GpuWorkerGrain.Health.cs) succeeds.
/// </summary>
[GpuPlacement]
[Immovable]
[KeepAlive]
[Reentrant]
internal sealed partial class GpuWorkerGrain(
    IGpuInventory inventory,
    IImagePipelineFactory pipelines,
    IImageFileEncoder encoder,
    IImageStore store,
    ILocalSiloDetails silo,
    IOptions<SanaGrainsOptions> options,
    GpuRegistrationService registration,
    WorkerDrain drain,
    SanaMetrics metrics,
    IDeviceMemoryProbe memory,
    LocalGpuLoads loads,
    IChunkFaultGate faultGate,
    TimeProvider time,
    ILogger<GpuWorkerGrain> logger) : Grain, IGpuWorkerGrain
{
    private readonly FairTurnQueue _turns = new();
    private readonly ThroughputMeter _meter = new();
    private readonly JobChunks _chunks = new();
    private readonly GpuHealthTracker _health = new(options.Value.UnhealthyAfterFailures, options.Value.GpuProbeInterval, time);
    private GpuWorkerConfig _config = null!;
    private string _siloName = "";
    /// <summary>The model load: the executor around the loaded (and warmed-up) pipeline, once it completes.</summary>
    private Task<ChunkExecutor>? _loading;

    private string GpuId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (siloName, index) = GpuKey.Parse(GpuId);
        if (!string.Equals(siloName, silo.Name, StringComparison.Ordinal))
        {
            throw new GpuPlacementException($"GPU grain '{GpuId}' belongs to silo '{siloName}' but was activated on '{silo.Name}'");
        }

        _siloName = siloName;
        _config = inventory.Workers.FirstOrDefault(w => w.Index == index)
            ?? throw new GpuPlacementException(
                $"silo '{siloName}' has no GPU {index} (it has {string.Join(", ", inventory.Workers.Select(w => GpuKey.Format(siloName, w.Index)))})");
        return Task.CompletedTask;
    }

    public async Task<GpuDescriptor> Start() => Describe(await EnsureLoadedAsync());

    public async Task<ChunkResult> RunChunk(ChunkRequest chunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ThrowIfUnhealthy();
        using var running = _chunks.Start(chunk.JobId, cancellationToken);
        cancellationToken = running.Token;
        var executor = await EnsureLoadedAsync();
        await _turns.EnterAsync(chunk.JobId, cancellationToken);
        var holdsTurn = true;
        try
        {
            ThrowIfUnhealthy(); // it may have turned unhealthy while this chunk waited its turn
            LogChunkStarted(logger, GpuId, chunk.JobId, chunk.Images.Length, executor.MicroBatch);
            var generating = Stopwatch.GetTimestamp();
            var generated = await DeviceThread.Run(() => executor.GenerateChunk(chunk, cancellationToken), cancellationToken);
            var gpuTime = Stopwatch.GetElapsedTime(generating);

            // The GPU is free: the next chunk (the job keeps Sana:Grains:ChunksInFlightPerGpu here) generates while
            // this one's last encodes finish and its images are stored.
            _turns.Exit();
            holdsTurn = false;
            var result = await Task.Run(() => executor.StoreChunkAsync(generated, cancellationToken), cancellationToken);
            _health.RecordSuccess();
            _meter.Record(result.Images.Length, gpuTime); // the GPU's own rate: chunks' store times overlap
            LogChunkFinished(logger, GpuId, chunk.JobId, result.Images.Length, result.Elapsed.TotalSeconds);
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogChunkCancelled(logger, GpuId, chunk.JobId);
            throw;
        }
        catch (Exception e) when (ChunkOutcomes.Of(e) == ChunkOutcome.Failed)
        {
            OnChunkFailed(chunk.JobId, e);
            throw;
        }
        finally
        {
            if (holdsTurn)
            {
                _turns.Exit();
            }
        }
    }

    public Task CancelJob(string jobId) => _chunks.CancelAsync(jobId);

    public Task<GpuWorkerStatus> GetStatus()
    {
        var loaded = _loading is { IsCompletedSuccessfully: true } ? _loading.Result.Pipeline : null;
        var health = _health.IsUnhealthy ? GpuHealth.Unhealthy : loaded is null ? GpuHealth.Loading : GpuHealth.Ready;
        return Task.FromResult(new GpuWorkerStatus(
            GpuId,
            _siloName,
            _config.Device,
            loaded?.Model.Name ?? "",
            _loading is { IsCompletedSuccessfully: true } ? _loading.Result.MicroBatch : _config.MicroBatch,
            _turns.Waiting,
            _turns.Busy,
            _meter.ImagesPerSecond,
            _meter.Total,
            Process.GetCurrentProcess().WorkingSet64,
            health,
            _health.Reason ?? _health.LastError,
            silo.Name)
        {
            NativeSize = loaded?.Model.NativeSize ?? 0,
        });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_loading is { IsCompletedSuccessfully: true })
        {
            (await _loading).Pipeline.Dispose();
        }
    }

    private async Task<ChunkExecutor> EnsureLoadedAsync()
    {
        if (_loading is null || (_loading.IsFaulted && !_health.IsUnhealthy))
        {
            _loading = LoadAsync();
        }
        else if (_loading.IsFaulted)
        {
            ThrowIfUnhealthy(); // a failed load is retried by the health probe only, not by every chunk that arrives
        }

        try
        {
            return await _loading;
        }
        catch (Exception e) when (!_health.IsUnhealthy)
        {
            LogLoadFailed(logger, e, GpuId);
            ScheduleProbe(_health.MarkUnhealthy($"model failed to load: {e.Message}"));
            throw;
        }
    }

    /// <summary>
    /// Loads the model on a thread of its own (<see cref="DeviceThread"/>) and, unless turned off
    /// (Sana:Grains:WarmUpOnLoad), warms it up at the worker's micro-batch (<see cref="ChunkExecutor.WarmUp"/>) before
    /// the GPU counts as loaded, so that neither the directory nor a job sees it before it runs at full speed. A failed
    /// warm-up is a failed load. The executor it makes is the load's result: no grain field is written off the grain's thread.
    /// </summary>
    private Task<ChunkExecutor> LoadAsync()
    {
        var config = _config;
        LogLoading(logger, GpuId, config.Device, config.ModelFolder);
        return DeviceThread.Run(() =>
        {
            var pipeline = pipelines.Create(config);
            if (pipeline.Model.TransformerGraph.Length > 0)
            {
                LogTransformerGraph(logger, GpuId, pipeline.Model.TransformerGraph);
            }

            var executor = new ChunkExecutor(GpuId, pipeline, encoder, new StoreRetry(store, options.Value, time, logger), config.MicroBatch, faultGate, logger);
            if (!options.Value.WarmUpOnLoad)
            {
                return executor;
            }

            try
            {
                var started = Stopwatch.GetTimestamp();
                var microBatch = executor.WarmUp(CancellationToken.None);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                LogWarmedUp(logger, GpuId, microBatch, seconds);
                return executor;
            }
            catch
            {
                pipeline.Dispose();
                throw;
            }
        }, CancellationToken.None);
    }

    private GpuDescriptor Describe(ChunkExecutor loaded) => new(
        GpuId,
        _siloName,
        _config.Device,
        loaded.Pipeline.Model.Name,
        loaded.Pipeline.Model.PixelFactor,
        loaded.Pipeline.Model.NumLayers,
        loaded.MicroBatch);
}
