using System.Globalization;

namespace Sana.Orleans.Jobs;

/// <summary>
/// The cluster holds as many jobs (or images) as it is configured to queue; this submission was not accepted and
/// nothing was stored. Not a bad request: the same submission succeeds later. Wait <see cref="RetryAfter"/> and submit
/// again (with the same job id, submitting is idempotent). Rejecting at admission keeps a flood of jobs from exhausting
/// the memory of the silos that would otherwise hold every one of them.
/// </summary>
[GenerateSerializer]
[Alias("sana.ClusterBusyException")]
public sealed class ClusterBusyException : Exception
{
    public ClusterBusyException() { }

    public ClusterBusyException(string message) : base(message) { }

    public ClusterBusyException(string message, Exception innerException) : base(message, innerException) { }

    public ClusterBusyException(string limit, TimeSpan retryAfter)
        : base(string.Create(CultureInfo.InvariantCulture, $"busy, retry after {Math.Ceiling(retryAfter.TotalSeconds):0} s: {limit}"))
    {
        Limit = limit;
        RetryAfter = retryAfter;
    }

    /// <summary>How long to wait before submitting again.</summary>
    [Id(0)] public TimeSpan RetryAfter { get; init; }

    /// <summary>Which limit was reached, e.g. "queued jobs: 200 of 200 (Sana:Grains:MaxQueuedJobs)".</summary>
    [Id(1)] public string? Limit { get; init; }
}
