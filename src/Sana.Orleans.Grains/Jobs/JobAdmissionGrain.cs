using Microsoft.Extensions.Options;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// <see cref="IJobAdmissionGrain"/>: in memory by design. Losing it with its silo forgets the running jobs for at most
/// one renewal period (<see cref="SanaGrainsOptions.AdmissionRenewInterval"/>), after which every running job has
/// renewed; refusing nothing for that moment is better than refusing everything on stale counts.
/// </summary>
[KeepAlive]
internal sealed class JobAdmissionGrain(IOptions<SanaGrainsOptions> options, TimeProvider time) : Grain, IJobAdmissionGrain
{
    private readonly JobAdmission _admission = new(
        options.Value.MaxQueuedJobs,
        options.Value.MaxQueuedImages,
        options.Value.AdmissionRenewInterval * 4,
        options.Value.BusyRetryAfter,
        time);

    public Task Admit(string jobId, int images) =>
        _admission.TryAdmit(jobId, images) is { } busy
            ? Task.FromException(new ClusterBusyException(busy.Limit, busy.RetryAfter))
            : Task.CompletedTask;

    public Task Renew(string jobId, int images)
    {
        _admission.Hold(jobId, images);
        return Task.CompletedTask;
    }

    public Task Release(string jobId)
    {
        _admission.Release(jobId);
        return Task.CompletedTask;
    }

    public Task<AdmissionLoad> GetLoad() => Task.FromResult(new AdmissionLoad(
        _admission.Jobs, _admission.Images, _admission.PeakJobs, _admission.PeakImages, _admission.Rejected,
        options.Value.MaxQueuedJobs, options.Value.MaxQueuedImages, _admission.Waiting));
}
