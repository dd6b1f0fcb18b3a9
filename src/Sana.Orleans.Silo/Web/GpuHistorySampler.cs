using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sana.Orleans.Client;

namespace Sana.Orleans.Silo.Web;

/// <summary>
/// Fills <see cref="GpuHistory"/> in the background from the same source as the page's table
/// (<see cref="ISanaClient.ListGpusAsync"/>), so the charts cover the whole window even when nobody had the page open.
/// Sampling starts once the host has started (the silo must be up to answer grain calls); a failed round is skipped,
/// which the charts show as a gap, and logged once per run of failures rather than every interval.
/// </summary>
public sealed partial class GpuHistorySampler(
    GpuHistory history,
    ISanaClient sana,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<GpuHistorySampler> logger) : BackgroundService
{
    private bool _failing;

    /// <summary>Takes one sample of every GPU now (the background loop calls it; tests too).</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        try
        {
            var gpus = await sana.ListGpusAsync(cancellationToken).ConfigureAwait(false);
            history.Record(gpus);
            if (_failing)
            {
                _failing = false;
                LogSamplingResumed(logger, gpus.Count);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            if (!_failing)
            {
                _failing = true;
                LogSamplingFailed(logger, e);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Sampling ends as soon as the host begins to stop: this service stops after the silo, and a round against a
        // silo that is leaving would only log a failure at every shutdown.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStopping);
        if (!await WaitForStartedAsync(stopping.Token).ConfigureAwait(false))
        {
            return;
        }

        using var timer = new PeriodicTimer(history.SampleInterval, time);
        try
        {
            do
            {
                await SampleAsync(stopping.Token).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stopping.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stopping.Token.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> WaitForStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task.ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
