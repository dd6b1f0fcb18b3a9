using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Placement;
using Sana.Orleans.Grains.Tests.Support;

namespace Sana.Orleans.Grains.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class PlacementTests(ThreeSiloCluster fixture)
{
    private SanaCluster Sana => fixture.Sana;

    [Fact]
    public async Task Every_gpu_grain_runs_on_the_silo_named_in_its_key()
    {
        var gpus = await Sana.GpuDirectory.GetGpus();
        var expected = ThreeSiloCluster.Spec.WorkersBySilo
            .SelectMany((workers, silo) => workers.Select((capacity, index) => (Key: GpuKey.Format(ClusterSpec.SiloName(silo), index), Capacity: capacity)))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(expected.Select(e => e.Key), gpus.Select(g => g.GpuId));
        Assert.Equal(expected.Select(e => e.Capacity), gpus.Select(g => g.Capacity));
        foreach (var gpu in gpus)
        {
            var status = await Sana.Grains.GetGrain<IGpuWorkerGrain>(gpu.GpuId).GetStatus();
            Assert.Equal(gpu.SiloName, status.ActivatedOn);
            Assert.Equal(GpuHealth.Ready, status.Health);
        }
    }

    [Fact]
    public async Task A_gpu_grain_of_a_silo_that_is_not_in_the_cluster_fails_fast_and_lands_nowhere()
    {
        var missing = Sana.Grains.GetGrain<IGpuWorkerGrain>(GpuKey.Format("Nowhere", 0));
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => missing.GetStatus().WaitAsync(bound.Token));
        var placement = Assert.IsType<GpuPlacementException>(e.GetBaseException());
        Assert.Contains("silo 'Nowhere' is not active", placement.Message, StringComparison.Ordinal);
        Assert.Contains("Primary", placement.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gpu_index_the_silo_does_not_have_is_refused_with_the_ones_it_has()
    {
        var missing = Sana.Grains.GetGrain<IGpuWorkerGrain>(GpuKey.Format("Primary", 7));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => missing.GetStatus());
        Assert.Contains("silo 'Primary' has no GPU 7 (it has Primary/gpu0)", e.GetBaseException().Message, StringComparison.Ordinal);
    }
}
