using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sana.Orleans.Gpus;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// Graceful leave: when the silo stops, before its grains are deactivated, this takes its GPUs out of the directory
/// (no job sends them more), hands queued chunks back to their jobs, lets running chunks finish within
/// <see cref="SanaGrainsOptions.DrainTimeout"/> and hands back whatever still runs after that. Jobs re-queue handed-back
/// images at once (they get <see cref="GpuLeavingException"/>), instead of waiting to learn that the silo died.
/// </summary>
internal sealed partial class WorkerDrainService(
    WorkerDrain drain,
    IGpuInventory inventory,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IOptions<SanaGrainsOptions> options,
    ILogger<WorkerDrainService> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>How long cancelled chunks get to leave after the drain timeout (they stop between denoising steps).</summary>
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Stops just before <see cref="ServiceLifecycleStage.Active"/> (the directory registration) and grain deactivation.</summary>
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(WorkerDrainService), ServiceLifecycleStage.Active + 1, _ => Task.CompletedTask, StopAsync);

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (inventory.Workers.Count == 0)
        {
            return;
        }

        try
        {
            await grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).Unregister(silo.Name, silo.SiloAddress)
                .WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (Exception e)
        {
            LogUnregisterFailed(logger, e, silo.Name);
        }

        var running = drain.Active;
        LogDraining(logger, silo.Name, running, options.Value.DrainTimeout.TotalSeconds);
        var clean = await drain.DrainAsync(options.Value.DrainTimeout, LeaveTimeout, cancellationToken);
        if (clean)
        {
            LogDrained(logger, silo.Name);
        }
        else
        {
            LogDrainIncomplete(logger, silo.Name, drain.Active);
        }
    }
}
