using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains.Roster;

/// <summary>
/// Per silo: once the silo is active, starts its GPU grains (loading each model) and registers them with the
/// directory; registers again whenever the set of active silos changes (the directory may have died with a silo) and
/// every <see cref="SanaGrainsOptions.GpuRegistrationRefreshInterval"/> (a directory reactivated for any other reason
/// starts empty, and a registration can race with that reactivation); unregisters when the silo stops. A GPU whose model fails to load is registered as Unhealthy (visible, never given
/// work); when its health probe loads the model, the grain calls <see cref="UpdateAsync"/> and it is registered Ready.
/// </summary>
internal sealed partial class GpuRegistrationService(
    IGpuInventory inventory,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IClusterMembershipService membership,
    WorkerDrain drain,
    IOptions<SanaGrainsOptions> options,
    ILogger<GpuRegistrationService> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private GpuDescriptor[] _gpus = [];
    private Task _following = Task.CompletedTask;

    public void Dispose() => _stopping.Dispose();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(GpuRegistrationService), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private IGpuDirectoryGrain Directory => grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        if (inventory.Workers.Count == 0)
        {
            return;
        }

        var started = await Task.WhenAll(inventory.Workers.Select(StartWorkerAsync));
        lock (_lock)
        {
            _gpus = started;
        }

        await Directory.Register(silo.Name, silo.SiloAddress, started);
        var ready = started.Count(g => g.Health == GpuHealth.Ready);
        LogRegistered(logger, silo.Name, ready, inventory.Workers.Count);
        _following = Task.WhenAll(
            Task.Run(() => FollowMembershipAsync(_stopping.Token), CancellationToken.None),
            Task.Run(() => RefreshPeriodicallyAsync(_stopping.Token), CancellationToken.None));
    }

    /// <summary>A GPU's descriptor changed (its health probe loaded the model): register the silo's GPUs again.</summary>
    public async Task UpdateAsync(GpuDescriptor gpu)
    {
        GpuDescriptor[] gpus;
        lock (_lock)
        {
            _gpus = gpus = [.. _gpus.Where(g => g.GpuId != gpu.GpuId).Append(gpu).OrderBy(g => g.GpuId, StringComparer.Ordinal)];
        }

        await Directory.Register(silo.Name, silo.SiloAddress, gpus);
    }

    private async Task<GpuDescriptor> StartWorkerAsync(GpuWorkerConfig config)
    {
        var key = GpuKey.Format(silo.Name, config.Index);
        try
        {
            return await grains.GetGrain<IGpuWorkerGrain>(key).Start();
        }
        catch (Exception e)
        {
            LogWorkerFailed(logger, e, key);
            return new GpuDescriptor(key, silo.Name, config.Device, "", 0, 0, 0) { Health = GpuHealth.Unhealthy };
        }
    }

    private async Task FollowMembershipAsync(CancellationToken cancellationToken)
    {
        HashSet<SiloAddress>? known = null;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                var active = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet();
                if (known is not null && !known.SetEquals(active))
                {
                    await RegisterAgainAsync();
                }

                known = active;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RefreshPeriodicallyAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.GpuRegistrationRefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await RegisterAgainAsync();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RegisterAgainAsync()
    {
        if (drain.IsLeaving)
        {
            return; // the silo is stopping and has taken its GPUs out of the directory
        }

        try
        {
            GpuDescriptor[] gpus;
            lock (_lock)
            {
                gpus = _gpus;
            }

            await Directory.Register(silo.Name, silo.SiloAddress, gpus);
        }
        catch (Exception e)
        {
            LogRegisterFailed(logger, e, silo.Name);
        }
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _following.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_gpus.Length == 0)
        {
            return;
        }

        try
        {
            await Directory.Unregister(silo.Name, silo.SiloAddress).WaitAsync(cancellationToken);
        }
        catch (Exception e)
        {
            LogRegisterFailed(logger, e, silo.Name);
        }
    }
}
