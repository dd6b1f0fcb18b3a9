using Sana.Orleans.Jobs;

namespace Sana.Orleans.Client;

/// <summary>Submitting to a cluster that may answer "busy, retry after": wait as told and submit again.</summary>
public static class SanaClientAdmissionExtensions
{
    /// <summary>
    /// Submits <paramref name="request"/> under one job id (fresh if none is given), and while the cluster answers
    /// <see cref="ClusterBusyException"/> waits its <see cref="ClusterBusyException.RetryAfter"/> and submits again, for
    /// at most <paramref name="maxWait"/> (then the last busy error reaches the caller). The id stays the same, so a
    /// submission that got through while its answer was lost is not run twice. Returns the id and the busy answers seen.
    /// </summary>
    /// <exception cref="JobRequestException">the request is invalid; retrying would not help.</exception>
    public static async Task<(string JobId, int BusyAnswers)> SubmitWhenAdmittedAsync(
        this ISanaClient client,
        ImageJobRequest request,
        string? jobId,
        TimeSpan maxWait,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var id = string.IsNullOrWhiteSpace(jobId) ? SanaClient.NewJobId() : jobId;
        var deadline = DateTimeOffset.UtcNow + maxWait;
        for (var busy = 0; ; busy++)
        {
            try
            {
                await client.SubmitAsync(request, id, cancellationToken).ConfigureAwait(false);
                return (id, busy);
            }
            catch (ClusterBusyException e) when (DateTimeOffset.UtcNow + e.RetryAfter < deadline)
            {
                await Task.Delay(e.RetryAfter, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
