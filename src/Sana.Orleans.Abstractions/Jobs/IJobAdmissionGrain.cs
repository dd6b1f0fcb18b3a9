namespace Sana.Orleans.Jobs;

/// <summary>
/// The cluster's admission: every job is admitted here before it stores anything, and leaves when it ends. Over the limits
/// (Sana:Grains:MaxQueuedJobs, MaxQueuedImages) a submission gets <see cref="ClusterBusyException"/>. Running jobs
/// renew their admission periodically, so if this grain's silo dies the count rebuilds itself within one renewal, and
/// an admission whose job vanished lapses. One per cluster: use <see cref="Key"/>.
/// </summary>
[Alias("sana.IJobAdmissionGrain")]
public interface IJobAdmissionGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    /// <summary>Admits <paramref name="jobId"/> with <paramref name="images"/> images or throws <see cref="ClusterBusyException"/>.</summary>
    [Alias("Admit")]
    Task Admit(string jobId, int images);

    /// <summary>A running job says it is still there, with the images it has left (never rejected).</summary>
    [Alias("Renew")]
    Task Renew(string jobId, int images);

    /// <summary>The job ended (completed, cancelled or failed).</summary>
    [Alias("Release")]
    Task Release(string jobId);

    [AlwaysInterleave]
    [Alias("GetLoad")]
    Task<AdmissionLoad> GetLoad();
}

/// <summary>What admission holds now, the most it ever held, how many submissions it turned away and how many wait.</summary>
[GenerateSerializer]
[Immutable]
[Alias("sana.AdmissionLoad")]
public sealed record AdmissionLoad(
    [property: Id(0)] int QueuedJobs,
    [property: Id(1)] long QueuedImages,
    [property: Id(2)] int PeakJobs,
    [property: Id(3)] long PeakImages,
    [property: Id(4)] long Rejected,
    [property: Id(5)] int MaxQueuedJobs,
    [property: Id(6)] long MaxQueuedImages,
    [property: Id(7)] int Waiting);
