using Orleans.Runtime.Placement;
using Sana.Orleans.Gpus;

namespace Sana.Orleans.Grains.Placement;

/// <summary>
/// Chooses the silo named in a GPU grain's key, by cluster membership. If that silo is not active the activation fails
/// at once with <see cref="GpuPlacementException"/>: there is no fallback silo.
/// </summary>
internal sealed class GpuPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString();
        if (!GpuKey.TryParse(key, out var siloName, out _))
        {
            throw new GpuPlacementException($"GPU grain key '{key}' is not of the form '{{siloName}}/gpu{{index}}'");
        }

        var snapshot = membership.CurrentSnapshot;
        var silo = SiloNameResolver.Resolve(snapshot, siloName)
            ?? throw new GpuPlacementException(
                $"cannot place GPU grain '{key}': silo '{siloName}' is not active (active silos: {SiloNameResolver.DescribeActive(snapshot)})");

        if (!context.GetCompatibleSilos(target).Contains(silo))
        {
            throw new GpuPlacementException($"cannot place GPU grain '{key}': silo '{siloName}' does not host GPU grains");
        }

        return Task.FromResult(silo);
    }
}
