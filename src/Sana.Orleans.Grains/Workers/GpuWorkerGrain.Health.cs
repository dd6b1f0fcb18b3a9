using Sana.Inference.Pipeline;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// Health of the GPU: unhealthy after a failed model load or failed chunks in a row; a one-shot grain timer then
/// probes it after <see cref="SanaGrainsOptions.GpuProbeInterval"/> (loads the model again, or makes one tiny image
/// with the loaded session) and either brings it back (registering it again with the directory when its model had
/// never loaded) or waits another interval.
/// </summary>
internal sealed partial class GpuWorkerGrain
{
    private const string ProbeJobId = "__health-probe";
    private IGrainTimer? _probe;

    private void ThrowIfUnhealthy()
    {
        if (_health.Reason is { } reason)
        {
            throw new GpuUnavailableException(GpuId, reason, _health.UntilProbe);
        }
    }

    private void OnChunkFailed(string jobId, Exception e)
    {
        LogChunkFailed(logger, e, GpuId, jobId);
        if (_health.RecordFailure(e.GetBaseException().Message))
        {
            LogUnhealthy(logger, GpuId, _health.Reason!);
            ScheduleProbe(_health.UntilProbe);
        }
    }

    private void ScheduleProbe(TimeSpan due)
    {
        _probe?.Dispose();
        _probe = this.RegisterGrainTimer(ProbeAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { Interleave = true });
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var neverLoaded = _loading is null || !_loading.IsCompletedSuccessfully;
        try
        {
            IImagePipeline pipeline;
            if (neverLoaded)
            {
                _loading = LoadAsync();
                pipeline = (await _loading).Pipeline;
            }
            else
            {
                pipeline = (await _loading!).Pipeline;
                await _turns.EnterAsync(ProbeJobId, cancellationToken);
                try
                {
                    var settings = ProbeRequest(pipeline.Model.PixelFactor).ToSettings();
                    await DeviceThread.Run(() => pipeline.Generate(settings, [new ImageSeed(0, 0)], 1, null, cancellationToken), cancellationToken);
                }
                finally
                {
                    _turns.Exit();
                }
            }

            _health.RecordSuccess();
            LogRecovered(logger, GpuId);
            if (neverLoaded)
            {
                await registration.UpdateAsync(Describe(await _loading!));
            }
        }
        catch (Exception e)
        {
            LogProbeFailed(logger, e, GpuId);
            ScheduleProbe(_health.ProbeFailed(e.GetBaseException().Message));
        }
    }

    /// <summary>The smallest request the model takes: one step, one image of pixel-factor size, no guidance.</summary>
    private static ImageJobRequest ProbeRequest(int pixelFactor) => new()
    {
        Prompt = "health probe",
        Width = pixelFactor,
        Height = pixelFactor,
        Steps = 1,
        GuidanceScale = 1,
        PagLayers = [],
    };
}
