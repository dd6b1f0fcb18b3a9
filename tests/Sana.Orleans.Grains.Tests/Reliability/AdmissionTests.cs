using Sana.Orleans.Client;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>Past the configured queue limits a submission is told "busy, retry after", and nothing of it is stored.</summary>
[Collection(Cluster.ClusterCollection.Name)]
public sealed class AdmissionTests
{
    private static ImageJobRequest Request(int count) => new() { Prompt = "a kite", Count = count, Width = 32, Height = 32, Steps = 50, Seed = 1 };

    [Fact]
    public async Task Past_the_job_limit_a_submission_is_refused_as_busy_with_a_retry_after_and_nothing_is_stored()
    {
        await using var sana = await ReliabilityCluster.StartAsync([[TestModel.Folder]], readyGpus: 1,
            new Dictionary<string, string> { [ReliabilityCluster.MaxQueuedJobsKey] = "2" });
        await sana.Client.SubmitAsync(Request(40), "held-1");
        await sana.Client.SubmitAsync(Request(40), "held-2");

        var busy = await Assert.ThrowsAsync<ClusterBusyException>(() => sana.Client.SubmitAsync(Request(1), "refused"));
        Assert.StartsWith("busy, retry after", busy.Message, StringComparison.Ordinal);
        Assert.Contains("MaxQueuedJobs", busy.Message, StringComparison.Ordinal);
        Assert.True(busy.RetryAfter > TimeSpan.Zero);
        Assert.Equal(JobState.None, (await sana.Client.GetStatusAsync("refused")).State);
        Assert.Equal(0, await sana.CountStoredAsync("refused"));

        // The same id, submitted again once a job has left, is admitted.
        await sana.Client.CancelAsync("held-1");
        var (id, busyAnswers) = await sana.Client.SubmitWhenAdmittedAsync(Request(1), "refused", ReliabilityCluster.Bound);
        Assert.Equal("refused", id);
        Assert.Equal(0, busyAnswers);
        await sana.Client.CancelAsync("held-2");
        Assert.Equal(JobState.Completed, (await sana.WaitAsync("refused")).State);
        var load = await sana.Grains.GetGrain<IJobAdmissionGrain>(IJobAdmissionGrain.Key).GetLoad();
        Assert.Equal(0, load.QueuedJobs);
        Assert.Equal(2, load.PeakJobs);
        Assert.Equal(1, load.Rejected);
    }

    [Fact]
    public async Task Past_the_image_limit_a_submission_is_busy_and_a_job_larger_than_the_queue_is_a_bad_count()
    {
        await using var sana = await ReliabilityCluster.StartAsync([[TestModel.Folder]], readyGpus: 1,
            new Dictionary<string, string> { [ReliabilityCluster.MaxQueuedImagesKey] = "50" });
        await sana.Client.SubmitAsync(Request(40), "forty");

        var busy = await Assert.ThrowsAsync<ClusterBusyException>(() => sana.Client.SubmitAsync(Request(20), "twenty"));
        Assert.Contains("MaxQueuedImages", busy.Message, StringComparison.Ordinal);
        var tooBig = await Assert.ThrowsAsync<JobRequestException>(() => sana.Client.SubmitAsync(Request(51), "fifty-one"));
        Assert.Equal("count", tooBig.Field);
        await sana.Client.CancelAsync("forty");
        Assert.Equal(0, await sana.CountStoredAsync("twenty"));
    }
}
