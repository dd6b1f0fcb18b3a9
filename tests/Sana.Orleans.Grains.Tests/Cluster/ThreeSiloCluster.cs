using Sana.Orleans.Grains.Tests.Support;

namespace Sana.Orleans.Grains.Tests.Cluster;

/// <summary>
/// One 3-silo cluster shared by the tests of <see cref="ClusterCollection"/>: silos with 1, 2 and 2 workers of different
/// micro-batch capacities. Tests that kill silos or need another shape start their own.
/// </summary>
public sealed class ThreeSiloCluster : IAsyncLifetime
{
    public static readonly ClusterSpec Spec = new([[1], [2, 3], [1, 4]]);

    public SanaCluster Sana { get; private set; } = null!;

    public async Task InitializeAsync() => Sana = await SanaCluster.StartAsync(Spec, TestModel.Folder);

    public async Task DisposeAsync() => await Sana.DisposeAsync();
}

/// <summary>Cluster tests run one at a time: each uses every core the CI machine has.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ThreeSiloCluster>
{
    public const string Name = "cluster";
}
