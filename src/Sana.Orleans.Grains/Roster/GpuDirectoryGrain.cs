using Sana.Orleans.Gpus;

namespace Sana.Orleans.Grains.Roster;

/// <summary>
/// The cluster's list of live GPU grains. Kept in memory: if its silo dies, every other silo sees the membership
/// change and registers again (see <see cref="GpuRegistrationService"/>), which rebuilds it wherever it reactivates.
/// </summary>
[KeepAlive]
internal sealed class GpuDirectoryGrain(IClusterMembershipService membership) : Grain, IGpuDirectoryGrain
{
    private readonly GpuRoster _roster = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Register(string siloName, SiloAddress silo, GpuDescriptor[] gpus)
    {
        _roster.Register(siloName, silo, gpus, membership.CurrentSnapshot.Version);
        Signal();
        return Task.CompletedTask;
    }

    public Task Unregister(string siloName, SiloAddress silo)
    {
        _roster.Unregister(siloName, silo);
        Signal();
        return Task.CompletedTask;
    }

    public Task<GpuDescriptor[]> GetGpus() => Task.FromResult(Ready(_roster.Alive(membership.CurrentSnapshot)));

    public Task<GpuDescriptor[]> ListGpus() => Task.FromResult(_roster.Alive(membership.CurrentSnapshot));

    public async Task<GpuDescriptor[]> WaitForGpus(int minimumCount, CancellationToken cancellationToken)
    {
        while (true)
        {
            var gpus = Ready(_roster.Alive(membership.CurrentSnapshot));
            if (gpus.Length >= minimumCount)
            {
                return gpus;
            }

            await _changed.Task.WaitAsync(cancellationToken);
        }
    }

    private static GpuDescriptor[] Ready(GpuDescriptor[] gpus) => [.. gpus.Where(g => g.Health == GpuHealth.Ready)];

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }
}
