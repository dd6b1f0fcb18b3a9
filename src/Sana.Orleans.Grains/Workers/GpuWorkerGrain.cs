using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Sana.Inference.Pipeline;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Placement;
using Sana.Storage;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// One device of this silo. Pinned to the silo named in its key, never moved, never collected while the silo lives.
/// Reentrant so that status reads and queued chunks of other jobs interleave; the <see cref="FairTurnQueue"/> lets
/// one chunk touch the pipeline at a time, and the pipeline itself runs on the thread pool (ONNX Runtime blocks).
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
    ILogger<GpuWorkerGrain> logger) : Grain, IGpuWorkerGrain
{
    private readonly FairTurnQueue _turns = new();
    private readonly ThroughputMeter _meter = new();
    private readonly JobChunks _chunks = new();
    private GpuWorkerConfig _config = null!;
    private string _siloName = "";
    private Task<IImagePipeline>? _loading;
    private ChunkExecutor? _executor;
    private string? _error;

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

    public async Task<GpuDescriptor> Start()
    {
        var pipeline = await EnsureLoadedAsync();
        return Describe(pipeline);
    }

    public async Task<ChunkResult> RunChunk(ChunkRequest chunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        using var running = _chunks.Start(chunk.JobId, cancellationToken);
        cancellationToken = running.Token;
        await EnsureLoadedAsync();
        await _turns.EnterAsync(chunk.JobId, cancellationToken);
        try
        {
            LogChunkStarted(logger, GpuId, chunk.JobId, chunk.Images.Length, _executor!.MicroBatch);
            var executor = _executor!;
            var result = await Task.Run(() => executor.RunAsync(chunk, cancellationToken), cancellationToken);
            _meter.Record(result.Images.Length, result.Elapsed);
            LogChunkFinished(logger, GpuId, chunk.JobId, result.Images.Length, result.Elapsed.TotalSeconds);
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogChunkCancelled(logger, GpuId, chunk.JobId);
            throw;
        }
        finally
        {
            _turns.Exit();
        }
    }

    public Task CancelJob(string jobId) => _chunks.CancelAsync(jobId);

    public Task<GpuWorkerStatus> GetStatus()
    {
        var loaded = _loading is { IsCompletedSuccessfully: true } ? _loading.Result : null;
        var health = _error is not null ? GpuHealth.Unhealthy : loaded is null ? GpuHealth.Loading : GpuHealth.Ready;
        return Task.FromResult(new GpuWorkerStatus(
            GpuId,
            _siloName,
            _config.Device,
            loaded?.Model.Name ?? "",
            _executor?.MicroBatch ?? _config.MicroBatch,
            _turns.Waiting,
            _turns.Busy,
            _meter.ImagesPerSecond,
            _meter.Total,
            Process.GetCurrentProcess().WorkingSet64,
            health,
            _error,
            silo.Name));
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_loading is { IsCompletedSuccessfully: true })
        {
            (await _loading).Dispose();
        }
    }

    private async Task<IImagePipeline> EnsureLoadedAsync()
    {
        if (_loading is null || _loading.IsFaulted)
        {
            var config = _config;
            _error = null;
            LogLoading(logger, GpuId, config.Device, config.ModelFolder);
            _loading = Task.Run(() => pipelines.Create(config));
        }

        try
        {
            var pipeline = await _loading;
            _executor ??= new ChunkExecutor(GpuId, pipeline, encoder, store, _config.MicroBatch, logger);
            return pipeline;
        }
        catch (Exception e)
        {
            _error = $"model failed to load: {e.Message}";
            LogLoadFailed(logger, e, GpuId);
            throw;
        }
    }

    private GpuDescriptor Describe(IImagePipeline pipeline) => new(
        GpuId,
        _siloName,
        _config.Device,
        pipeline.Model.Name,
        pipeline.Model.PixelFactor,
        pipeline.Model.NumLayers,
        _executor?.MicroBatch ?? _config.MicroBatch);
}
