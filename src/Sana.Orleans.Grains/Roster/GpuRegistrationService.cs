using Microsoft.Extensions.Logging;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains.Roster;

/// <summary>
/// Per silo: once the silo is active, starts its GPU grains (loading each model) and registers them with the
/// directory; registers again whenever the set of active silos changes (the directory may have died with a silo);
/// unregisters when the silo stops. A GPU whose model fails to load is left out (its grain reports it unhealthy).
/// </summary>
internal sealed partial class GpuRegistrationService(
    IGpuInventory inventory,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IClusterMembershipService membership,
    ILogger<GpuRegistrationService> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
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
        _gpus = [.. started.OfType<GpuDescriptor>()];
        await Directory.Register(silo.Name, silo.SiloAddress, _gpus);
        LogRegistered(logger, silo.Name, _gpus.Length, inventory.Workers.Count);
        _following = Task.Run(() => FollowMembershipAsync(_stopping.Token), CancellationToken.None);
    }

    private async Task<GpuDescriptor?> StartWorkerAsync(GpuWorkerConfig config)
    {
        var key = GpuKey.Format(silo.Name, config.Index);
        try
        {
            return await grains.GetGrain<IGpuWorkerGrain>(key).Start();
        }
        catch (Exception e)
        {
            LogWorkerFailed(logger, e, key);
            return null;
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

    private async Task RegisterAgainAsync()
    {
        try
        {
            await Directory.Register(silo.Name, silo.SiloAddress, _gpus);
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
