using Sana.Orleans.Gpus;

namespace Sana.Orleans.Grains.Roster;

/// <summary>
/// The directory's bookkeeping without Orleans activations: the GPUs each silo registered, minus those of silos that
/// membership has declared gone. A silo the snapshot does not know yet (registered faster than membership spread)
/// counts as alive until a newer membership version still lacks it.
/// </summary>
internal sealed class GpuRoster
{
    private readonly Dictionary<string, Entry> _bySilo = new(StringComparer.Ordinal);

    public void Register(string siloName, SiloAddress silo, GpuDescriptor[] gpus, MembershipVersion seenAt)
    {
        if (_bySilo.TryGetValue(siloName, out var existing) && existing.Silo.Generation > silo.Generation)
        {
            return; // a late registration of an older incarnation
        }

        _bySilo[siloName] = new Entry(silo, [.. gpus], seenAt);
    }

    public void Unregister(string siloName, SiloAddress silo)
    {
        if (_bySilo.TryGetValue(siloName, out var existing) && existing.Silo.Equals(silo))
        {
            _bySilo.Remove(siloName);
        }
    }

    /// <summary>Drops the silos that are not alive in <paramref name="snapshot"/> and lists the rest's GPUs by id.</summary>
    public GpuDescriptor[] Alive(ClusterMembershipSnapshot snapshot)
    {
        foreach (var (name, entry) in _bySilo.ToArray())
        {
            var status = snapshot.GetSiloStatus(entry.Silo, entry.SeenAt);
            if (status is SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping)
            {
                _bySilo.Remove(name);
            }
        }

        return [.. _bySilo.Values.SelectMany(e => e.Gpus).OrderBy(g => g.GpuId, StringComparer.Ordinal)];
    }

    private sealed record Entry(SiloAddress Silo, GpuDescriptor[] Gpus, MembershipVersion SeenAt);
}
