using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// The dispatch loop: up to <see cref="SanaGrainsOptions.ChunksInFlightPerGpu"/> chunks on each GPU while enough
/// images wait (one at the end of the job); whichever chunk returns first frees its lane for the next.
/// </summary>
internal sealed partial class GenerationJobGrain
{
    private void StartRun()
    {
        if (_run is { IsCompleted: false })
        {
            return;
        }

        _cancel = new CancellationTokenSource();
        DelayDeactivation(TimeSpan.FromDays(7));
        _run = RunAsync(_cancel.Token);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var request = State.Request!;
        var dispatcher = _dispatcher = new ChunkDispatcher(request.Count, State.Images.Select(i => i.Index), _time);
        var inFlight = new Dictionary<Task<ChunkResult>, (GpuDescriptor Gpu, GpuLane Lane)>();
        var failuresByGpu = new Dictionary<string, int>(StringComparer.Ordinal);
        var rotation = DispatchRotation.Of(JobId);
        var consecutiveFailures = 0;
        GpuDescriptor[] gpus = [];
        var refreshAt = DateTimeOffset.MinValue;
        await RenewAdmissionAsync();
        try
        {
            while (!dispatcher.IsComplete && !cancellationToken.IsCancellationRequested && State.State == JobState.Running)
            {
                if (_time.GetUtcNow() >= refreshAt)
                {
                    gpus = await UsableGpusAsync(failuresByGpu);
                    refreshAt = _time.GetUtcNow() + _options.DirectoryRefreshInterval;
                }

                // Each job starts its round at another GPU, so many small jobs spread over the GPUs instead of all
                // queueing on the first one.
                for (var g = 0; g < gpus.Length; g++)
                {
                    var gpu = gpus[(g + rotation) % gpus.Length];
                    if (IsLeaving(gpu.GpuId))
                    {
                        continue;
                    }

                    var capacity = gpu.Capacity * _options.MicroBatchesPerChunk;
                    var lanes = Enumerable.Range(0, _options.ChunksInFlightPerGpu).Select(l => new GpuLane(gpu.GpuId, l)).ToArray();
                    var busy = lanes.Count(dispatcher.IsBusy);
                    foreach (var lane in lanes.Where(l => !dispatcher.IsBusy(l)))
                    {
                        // A GPU that has a chunk takes another only while every GPU could still get a full one: the
                        // end of the job is shared out by speed, one chunk per GPU, and only idle GPUs copy stragglers.
                        if (busy > 0 && dispatcher.Pending < capacity * gpus.Length)
                        {
                            break;
                        }

                        if (dispatcher.TryTake(lane, capacity, gpus.Length) is not { } indices)
                        {
                            break;
                        }

                        var images = indices.Select(i => new ChunkImage(i, request.SeedOf(i))).ToArray();
                        var call = GrainFactory.GetGrain<IGpuWorkerGrain>(gpu.GpuId)
                            .RunChunk(new ChunkRequest(JobId, request, images), cancellationToken);
                        inFlight[call] = (gpu, lane);
                        busy++;
                    }
                }

                if (inFlight.Count == 0)
                {
                    LogNoGpu(_logger, JobId, dispatcher.Pending);
                    await Task.Delay(_options.NoGpuRetryDelay, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
                    refreshAt = DateTimeOffset.MinValue;
                    continue;
                }

                var finished = await Task.WhenAny(inFlight.Keys);
                var (from, fromLane) = inFlight[finished];
                inFlight.Remove(finished);
                var outcome = await TryRecordAsync(dispatcher, from, fromLane, finished);
                if (outcome is ChunkOutcome.Recorded or ChunkOutcome.HandedBack)
                {
                    consecutiveFailures = 0;
                    continue;
                }

                if (cancellationToken.IsCancellationRequested || State.State != JobState.Running)
                {
                    break;
                }

                refreshAt = DateTimeOffset.MinValue;
                if (outcome == ChunkOutcome.GpuUnavailable)
                {
                    continue; // an unhealthy GPU: skipped until its probe is due, not counted as this job's failure
                }

                if (outcome is ChunkOutcome.Failed or ChunkOutcome.Cancelled or ChunkOutcome.BadRequest)
                {
                    failuresByGpu[from.GpuId] = failuresByGpu.GetValueOrDefault(from.GpuId) + 1;
                }

                if (++consecutiveFailures >= _options.MaxConsecutiveFailures)
                {
                    await FailAsync($"{consecutiveFailures} chunk calls failed in a row; last: {finished.Exception?.GetBaseException().Message}");
                }
            }
        }
        finally
        {
            // Cancelled or failed: stop this job's chunks on the GPUs (and wait until they have stopped), then keep
            // whatever the calls still out managed to store. Handed over: leave them be (see OnDeactivateAsync).
            if (!_handedOver)
            {
                await StopChunksAsync(inFlight.Values.Select(f => f.Gpu).DistinctBy(g => g.GpuId));
                foreach (var (call, (gpu, lane)) in inFlight)
                {
                    await TryRecordAsync(dispatcher, gpu, lane, call);
                }
            }
        }

        if (_handedOver)
        {
            return;
        }

        if (dispatcher.IsComplete && State.State == JobState.Running)
        {
            // Out of the admission queue before anyone can read "completed" (a reentrant Watch or GetStatus may run
            // at the next await): a client that sees the end and submits at once finds the slot free. A cancelled or
            // failed job is already visibly ended here (Cancel/FailAsync set it) and is released below.
            await ReleaseAdmissionAsync();
            State.State = JobState.Completed;
            State.FinishedAt = _time.GetUtcNow();
            LogCompleted(_logger, JobId, dispatcher.Total, (State.FinishedAt - State.SubmittedAt)?.TotalSeconds ?? 0);
        }

        await WriteStateAsync();
        try
        {
            if (State.State != JobState.Running)
            {
                RecordEnd();
                await StopReminderAsync();
                if (State.State != JobState.Completed)
                {
                    await ReleaseAdmissionAsync();
                }
            }
        }
        finally
        {
            Signal();
        }
    }

    /// <summary>Records a finished call's images, or says how it failed (its indices wait again).</summary>
    private async Task<ChunkOutcome> TryRecordAsync(ChunkDispatcher dispatcher, GpuDescriptor gpu, GpuLane lane, Task<ChunkResult> call)
    {
        ChunkResult result;
        try
        {
            result = await call;
        }
        catch (Exception e)
        {
            dispatcher.Fail(lane);
            var outcome = ChunkOutcomes.Of(e);
            switch (outcome)
            {
                case ChunkOutcome.BadRequest:
                    await FailAsync(e.Message);
                    break;
                case ChunkOutcome.HandedBack:
                    OnHandedBack(gpu.GpuId); // a stopping silo's chunk: the images wait again at once, no failure
                    break;
                case ChunkOutcome.GpuUnavailable:
                    var retryAfter = ((GpuUnavailableException)e).RetryAfter;
                    _unavailableUntil[gpu.GpuId] = _time.GetUtcNow() + (retryAfter > MinUnavailable ? retryAfter : MinUnavailable);
                    LogGpuUnavailable(_logger, JobId, gpu.GpuId, e.Message);
                    break;
                case ChunkOutcome.StoreUnavailable or ChunkOutcome.Failed:
                    LogChunkFailed(_logger, e, JobId, gpu.GpuId);
                    break;
            }

            return outcome;
        }

        var byIndex = result.Images.ToDictionary(i => i.Index);
        foreach (var index in dispatcher.Complete(lane, byIndex.Keys))
        {
            State.Images.Add(byIndex[index]);
        }

        await WriteStateAsync();
        Signal();
        return ChunkOutcome.Recorded;
    }

    /// <summary>
    /// How long the dispatch loop waits for the directory: a directory grain that is being re-activated after its
    /// silo died may not answer for the whole directory lease, and the loop must not stall behind it.
    /// </summary>
    private static readonly TimeSpan DirectoryCallTimeout = TimeSpan.FromSeconds(5);

    /// <summary>What the directory listed last; used while the directory cannot be reached.</summary>
    private GpuDescriptor[] _lastListed = [];

    private async Task<GpuDescriptor[]> UsableGpusAsync(Dictionary<string, int> failuresByGpu)
    {
        GpuDescriptor[] all;
        try
        {
            all = _lastListed = await Directory.GetGpus().WaitAsync(DirectoryCallTimeout);
        }
        catch (Exception e)
        {
            // The directory grain died with its silo and Orleans holds it back for the directory lease (seconds to
            // tens of seconds): carry on with the GPUs it last listed whose silos are still active.
            LogDirectoryFailed(_logger, e, JobId);
            var active = _membership.CurrentSnapshot.Members.Values
                .Where(m => m.Status == SiloStatus.Active)
                .Select(m => m.Name)
                .ToHashSet(StringComparer.Ordinal);
            all = [.. _lastListed.Where(g => active.Contains(g.SiloName))];
        }

        ForgetLeft(all);

        var now = _time.GetUtcNow();
        return [.. all.Where(g =>
            g.Health == GpuHealth.Ready
            && !(_unavailableUntil.TryGetValue(g.GpuId, out var until) && until > now)
            && (State.ModelName is null || string.Equals(g.ModelName, State.ModelName, StringComparison.Ordinal))
            && failuresByGpu.GetValueOrDefault(g.GpuId) < _options.MaxFailuresPerGpu)];
    }

    private async Task StopChunksAsync(IEnumerable<GpuDescriptor> gpus)
    {
        var stops = gpus.Select(async gpu =>
        {
            try
            {
                await GrainFactory.GetGrain<IGpuWorkerGrain>(gpu.GpuId).CancelJob(JobId);
            }
            catch (Exception e)
            {
                LogStopFailed(_logger, e, JobId, gpu.GpuId); // its silo is gone: nothing runs there any more
            }
        });
        await Task.WhenAll(stops);
    }

    private async Task FailAsync(string error)
    {
        if (State.State != JobState.Running)
        {
            return;
        }

        State.State = JobState.Failed;
        State.Error = error;
        State.FinishedAt = _time.GetUtcNow();
        LogFailed(_logger, JobId, error);
        if (_cancel is not null)
        {
            await _cancel.CancelAsync();
        }
    }

    private async Task WriteStateAsync()
    {
        try
        {
            await _state.WriteStateAsync();
        }
        catch (Exception e)
        {
            // The next write carries this one's changes; a crash before it re-makes (and re-stores identically) those images.
            LogStateWriteFailed(_logger, e, JobId);
        }
    }
}
