using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Cluster;

public sealed class DoubleClusterSmokeTests
{
    [Fact]
    public async Task A_job_on_three_silos_stores_every_index_once()
    {
        await using var cluster = await SanaCluster.StartAsync(new ClusterSpec([[1], [2, 3], [1, 2, 4]]), modelFolder: null);
        var (status, images) = await cluster.RunAsync("smoke", new ImageJobRequest { Prompt = "a cat", Count = 40, Width = 16, Height = 16, Steps = 2, Seed = 7 });
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(Enumerable.Range(0, 40), images.Select(i => i.Index));
        Assert.Equal(40, await cluster.CountStoredAsync("smoke"));
    }
}
