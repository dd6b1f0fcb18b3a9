using System.Diagnostics;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;
using Sana.TestSupport;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>
/// A file store that cannot be written (a read-only file system): waiting does not fix it, so the chunks fail at once
/// with its reason and the job fails with that reason after its failure budget, instead of retrying without end.
/// </summary>
[Collection(Cluster.ClusterCollection.Name)]
public sealed class StoreRefusalTests
{
    [Fact]
    public async Task A_read_only_image_folder_fails_the_job_with_the_reason_instead_of_retrying_for_ever()
    {
        using var readOnly = new ReadOnlyFolder();
        await using var sana = await SanaCluster.StartAsync(new ClusterSpec([[1], [2]]), TestModel.Folder,
            new Dictionary<string, string> { ["Sana:StoreRoot"] = Path.Combine(readOnly.Path, "images") });
        var started = Stopwatch.StartNew();

        var (status, images) = await sana.RunAsync("read-only", Cluster.JobTests.Request(6));

        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains("Read-only file system", status.Error, StringComparison.Ordinal);
        Assert.Contains("cannot create the image folder", status.Error, StringComparison.Ordinal);
        Assert.Empty(images);
        Assert.Empty(Directory.GetFileSystemEntries(readOnly.Path));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), $"the job took {started.Elapsed} to fail");
    }
}
