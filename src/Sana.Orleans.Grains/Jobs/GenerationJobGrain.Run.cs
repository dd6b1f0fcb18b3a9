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

    /// <summary>
    /// One run of the job, top to bottom: refresh the usable GPUs when due, give every idle lane a chunk, wait for the
    /// first call to end and record it, charge a failure where <see cref="ChunkOutcomes"/> says; until the job is
    /// complete, cancelled, failed or handed over. Then stop what is still out and end the job.
    /// </summary>
    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var layout = Layout;
        var dispatcher = new ChunkDispatcher(layout.ImageCount, State.Images.Select(i => i.Index), _time, index => layout.Locate(index).Item);
        var run = new DispatchRun(_dispatcher = dispatcher, DispatchRotation.Of(JobId));
        await RenewAdmissionAsync();
        try
        {
            while (!run.Dispatcher.IsComplete && !cancellationToken.IsCancellationRequested && State.State == JobState.Running)
            {
                await RefreshGpusWhenDueAsync(run);
                DispatchToIdleLanes(run, cancellationToken);
                if (run.InFlight.Count == 0)
                {
                    await WaitForAGpuAsync(run, cancellationToken);
                    continue;
                }

                var (outcome, from) = await RecordFirstFinishedAsync(run);
                if (!await ChargeAsync(run, outcome, from, cancellationToken))
                {
                    break;
                }
            }
        }
        finally
        {
            await StopOutstandingChunksAsync(run);
        }

        if (!_handedOver)
        {
            await EndRunAsync(run.Dispatcher);
        }
    }

    /// <summary>The dispatch loop's own state: kept apart from the grain's, which outlives a run.</summary>
    private sealed class DispatchRun(ChunkDispatcher dispatcher, int rotation)
    {
        public ChunkDispatcher Dispatcher { get; } = dispatcher;

        /// <summary>Each job starts its round at another GPU, so many small jobs spread instead of all queueing on the first.</summary>
        public int Rotation { get; } = rotation;

        public Dictionary<Task<ChunkResult>, (GpuDescriptor Gpu, GpuLane Lane)> InFlight { get; } = [];

        public Dictionary<string, int> FailuresByGpu { get; } = new(StringComparer.Ordinal);

        public int ConsecutiveFailures { get; set; }

        public GpuDescriptor[] Gpus { get; set; } = [];

        public DateTimeOffset RefreshAt { get; set; } = DateTimeOffset.MinValue;
    }

    private async Task RefreshGpusWhenDueAsync(DispatchRun run)
    {
        if (_time.GetUtcNow() >= run.RefreshAt)
        {
            run.Gpus = await UsableGpusAsync(run.FailuresByGpu);
            run.RefreshAt = _time.GetUtcNow() + _options.DirectoryRefreshInterval;
        }
    }

    /// <summary>
    /// Every lane without a chunk of this job gets one. A GPU that has a chunk takes another only while every GPU could
    /// still get a full one: the end of the job is shared out by speed, one chunk per GPU, and only idle GPUs copy stragglers.
    /// </summary>
    private void DispatchToIdleLanes(DispatchRun run, CancellationToken cancellationToken)
    {
        var layout = Layout;
        var gpus = run.Gpus;
        for (var g = 0; g < gpus.Length; g++)
        {
            var gpu = gpus[(g + run.Rotation) % gpus.Length];
            if (IsLeaving(gpu.GpuId))
            {
                continue;
            }

            var capacity = gpu.Capacity * _options.MicroBatchesPerChunk;
            var lanes = Enumerable.Range(0, _options.ChunksInFlightPerGpu).Select(l => new GpuLane(gpu.GpuId, l)).ToArray();
            var busy = lanes.Count(run.Dispatcher.IsBusy);
            foreach (var lane in lanes.Where(l => !run.Dispatcher.IsBusy(l)))
            {
                if ((busy > 0 && run.Dispatcher.Pending < capacity * gpus.Length) || run.Dispatcher.TryTake(lane, capacity, gpus.Length) is not { } indices)
                {
                    break;
                }

                // A chunk is of one item (the dispatcher keeps them apart): the GPU runs it as that item's own request.
                var images = indices.Select(i => new ChunkImage(i, layout.SeedOf(i))).ToArray();
                var itemRequest = layout.RequestOf(layout.Locate(indices[0]).Item);
                var call = GrainFactory.GetGrain<IGpuWorkerGrain>(gpu.GpuId).RunChunk(new ChunkRequest(JobId, itemRequest, images), cancellationToken);
                run.InFlight[call] = (gpu, lane);
                busy++;
            }
        }
    }

    /// <summary>No GPU could take a chunk: wait a moment and look at the directory again.</summary>
    private async Task WaitForAGpuAsync(DispatchRun run, CancellationToken cancellationToken)
    {
        LogNoGpu(_logger, JobId, run.Dispatcher.Pending);
        await Task.Delay(_options.NoGpuRetryDelay, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        run.RefreshAt = DateTimeOffset.MinValue;
    }

    private async Task<(ChunkOutcome Outcome, GpuDescriptor From)> RecordFirstFinishedAsync(DispatchRun run)
    {
        var finished = await Task.WhenAny(run.InFlight.Keys);
        var (from, lane) = run.InFlight[finished];
        run.InFlight.Remove(finished);
        return (await TryRecordAsync(run.Dispatcher, from, lane, finished), from);
    }

    /// <summary>
    /// Counts a call's failure against its GPU and the job's run of failures in a row (failing the job past
    /// <see cref="SanaGrainsOptions.MaxConsecutiveFailures"/>). False when the run is to stop.
    /// </summary>
    private async Task<bool> ChargeAsync(DispatchRun run, ChunkOutcome outcome, GpuDescriptor from, CancellationToken cancellationToken)
    {
        if (outcome is ChunkOutcome.Recorded or ChunkOutcome.HandedBack)
        {
            run.ConsecutiveFailures = 0;
            return true;
        }

        if (cancellationToken.IsCancellationRequested || State.State != JobState.Running)
        {
            return false;
        }

        run.RefreshAt = DateTimeOffset.MinValue;
        if (outcome == ChunkOutcome.GpuUnavailable)
        {
            return true; // an unhealthy GPU: skipped until its probe is due, not counted as this job's failure
        }

        if (outcome is ChunkOutcome.Failed or ChunkOutcome.Cancelled or ChunkOutcome.BadRequest)
        {
            run.FailuresByGpu[from.GpuId] = run.FailuresByGpu.GetValueOrDefault(from.GpuId) + 1;
        }

        if (++run.ConsecutiveFailures >= _options.MaxConsecutiveFailures)
        {
            await FailAsync($"{run.ConsecutiveFailures} chunk calls failed in a row; last: {_lastChunkError}");
        }

        return true;
    }

    /// <summary>
    /// Cancelled or failed: stop this job's chunks on the GPUs (and wait until they have stopped), then keep whatever
    /// the calls still out managed to store. Handed over: leave them be (see OnDeactivateAsync).
    /// </summary>
    private async Task StopOutstandingChunksAsync(DispatchRun run)
    {
        if (_handedOver)
        {
            return;
        }

        await StopChunksAsync(run.InFlight.Values.Select(f => f.Gpu).DistinctBy(g => g.GpuId));
        foreach (var (call, (gpu, lane)) in run.InFlight)
        {
            await TryRecordAsync(run.Dispatcher, gpu, lane, call);
        }
    }

    private async Task EndRunAsync(ChunkDispatcher dispatcher)
    {
        if (dispatcher.IsComplete && State.State == JobState.Running && await TryWriteManifestAsync())
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

    /// <summary>
    /// The manifest beside the images, before the job counts as completed, with a few tries for a store that is away
    /// a moment; past them the job fails saying so (its images stay stored).
    /// </summary>
    private async Task<bool> TryWriteManifestAsync()
    {
        var manifest = JobManifest.Write(Layout, State.Images);
        var delay = ManifestRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _store.SaveManifestAsync(JobId, manifest, CancellationToken.None);
                return true;
            }
            catch (Exception e) when (attempt < ManifestAttempts && e is not ArgumentException)
            {
                LogManifestRetry(_logger, e, JobId, attempt);
                await Task.Delay(delay, _time);
                delay *= 2;
            }
            catch (Exception e)
            {
                await FailAsync($"all {State.Images.Count} images are stored, but the manifest could not be written: {e.Message}");
                return false;
            }
        }
    }

    private const int ManifestAttempts = 4;
    private static readonly TimeSpan ManifestRetryDelay = TimeSpan.FromMilliseconds(500);

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
            _lastChunkError = e.Message;
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
            var (item, indexInItem) = Layout.Locate(index);
            State.Images.Add(byIndex[index] with { Item = item, IndexInItem = indexInItem });
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

    /// <summary>The message of the last failed chunk call, for the job's error when too many fail in a row.</summary>
    private string? _lastChunkError;

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
