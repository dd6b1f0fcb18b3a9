using Microsoft.Extensions.Logging;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Telemetry;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// Operations concerns of the dispatch loop, kept apart from it: GPUs of a stopping silo that handed a chunk back
/// (<see cref="GpuLeavingException"/>) get no more chunks of this job until the directory stops or starts listing them
/// afresh, and the job's end is recorded in <see cref="SanaMetrics"/>.
/// </summary>
internal sealed partial class GenerationJobGrain
{
    private readonly HashSet<string> _leaving = new(StringComparer.Ordinal);

    private bool IsLeaving(string gpuId) => _leaving.Contains(gpuId);

    private void OnHandedBack(string gpuId)
    {
        _leaving.Add(gpuId);
        LogHandedBack(_logger, JobId, gpuId);
    }

    /// <summary>A GPU the directory no longer lists has left; if it is listed again later, it is a new start.</summary>
    private void ForgetLeft(GpuDescriptor[] listed)
    {
        if (_leaving.Count > 0)
        {
            _leaving.IntersectWith(listed.Select(g => g.GpuId));
        }
    }

    private void RecordEnd()
    {
        if (State.State is JobState.Completed or JobState.Failed or JobState.Cancelled && State.SubmittedAt is { } submitted)
        {
            _metrics.JobEnded(State.State, (State.FinishedAt ?? _time.GetUtcNow()) - submitted);
        }
    }
}
