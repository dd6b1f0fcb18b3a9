using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Telemetry;
using Sana.Storage;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// One job. Thin: validation is <see cref="JobRequestValidator"/>, the index bookkeeping <see cref="ChunkDispatcher"/>;
/// this grain persists state, runs the dispatch loop (GenerationJobGrain.Run.cs) and serves watchers. Reentrant so
/// that status, cancel and watchers interleave with the loop's awaits; all of it runs on the grain's single thread.
/// </summary>
[Reentrant]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The run token lives as long as the activation; cancelling it is all that matters.")]
internal sealed partial class GenerationJobGrain : Grain, IGenerationJobGrain, IRemindable
{
    private const string ResumeReminder = "resume";
    private static readonly TimeSpan MinUnavailable = TimeSpan.FromSeconds(1);

    private readonly IPersistentState<JobGrainState> _state;
    private readonly SanaGrainsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<GenerationJobGrain> _logger;
    private readonly IClusterMembershipService _membership;
    private readonly SanaMetrics _metrics;
    private readonly IImageStore _store;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _cancel; // one per run; cancelled, never disposed (grain lifetime)
    private Task? _run;
    private bool _handedOver; // this activation is going away mid-run: the next one carries the job on
    private ChunkDispatcher? _dispatcher;
    private IGrainTimer? _renewal;
    private readonly Dictionary<string, DateTimeOffset> _unavailableUntil = new(StringComparer.Ordinal);

    public GenerationJobGrain(
        IPersistentStateFactory states,
        IGrainContext context,
        IOptions<SanaGrainsOptions> options,
        IClusterMembershipService membership,
        SanaMetrics metrics,
        IImageStore store,
        TimeProvider time,
        ILogger<GenerationJobGrain> logger)
    {
        _membership = membership;
        _metrics = metrics;
        _store = store;
        _options = options.Value;
        _state = states.Create<JobGrainState>(context, new JobStateConfiguration("job", _options.JobStorageName));
        _time = time;
        _logger = logger;
    }

    private string JobId => this.GetPrimaryKeyString();

    /// <summary>Which item each image index belongs to, for the request stored (set once, at submission).</summary>
    private JobItemLayout Layout => _layout ??= new JobItemLayout(State.Request!);

    private JobItemLayout? _layout;

    private JobGrainState State => _state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (State.State == JobState.Running)
        {
            LogResuming(_logger, JobId, State.Images.Count, State.Request!.ImageCount);
            StartRun();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Deactivated while the job runs (its silo stops, or Orleans moves the grain): this activation stops dispatching
    /// and writes no more state, and the next activation resumes from the stored state (at the next call or the resume
    /// reminder). Only this activation's own chunk calls are cancelled (through their call tokens), never the job's
    /// chunks by job id, which would also stop the next activation's; an image a GPU still stores is stored under the
    /// same key and bytes whichever activation asked for it.
    /// </summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_run is { IsCompleted: false } run && _cancel is not null)
        {
            _handedOver = true;
            LogHandingOver(_logger, JobId, State.Images.Count, State.Request!.ImageCount, reason.ReasonCode);
            await _cancel.CancelAsync();
            await run.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
    }

    public async Task<JobStatus> Submit(ImageJobRequest request)
    {
        if (State.State != JobState.None)
        {
            return State.Request!.SameAs(request)
                ? Status()
                : throw new JobRequestException("job_id", $"'{JobId}' is already used by a different request");
        }

        var gpus = await Directory.GetGpus();
        var model = JobRequestValidator.Validate(JobId, request, gpus, _options);
        if (State.State != JobState.None)
        {
            return await Submit(request); // a concurrent submit of the same id got there first
        }

        await Admission.Admit(JobId, request.ImageCount); // busy: ClusterBusyException, and nothing stored
        if (State.State != JobState.None)
        {
            return await Submit(request);
        }

        State.Request = request;
        _layout = null;
        State.ModelName = model;
        State.State = JobState.Running;
        State.SubmittedAt = _time.GetUtcNow();
        try
        {
            await _state.WriteStateAsync();
        }
        catch
        {
            State.State = JobState.None;
            State.Request = null;
            await ReleaseAdmissionAsync();
            throw;
        }

        LogSubmitted(_logger, JobId, request.ImageCount, model ?? "(any)");
        await this.RegisterOrUpdateReminder(ResumeReminder, _options.ResumeReminderPeriod, _options.ResumeReminderPeriod);
        StartRun();
        return Status();
    }

    public Task<JobStatus> GetStatus() => Task.FromResult(Status());

    public async Task<JobStatus> Cancel()
    {
        if (State.State == JobState.Running)
        {
            State.State = JobState.Cancelled;
            State.FinishedAt = _time.GetUtcNow();
            await _state.WriteStateAsync();
            LogCancelled(_logger, JobId, State.Images.Count, State.Request!.ImageCount);
            if (_cancel is not null)
            {
                await _cancel.CancelAsync();
            }

            if (_run is not null)
            {
                await _run;
            }

            Signal();
        }

        return Status();
    }

    public Task<JobImage[]> GetImages() => Task.FromResult(State.Images.OrderBy(i => i.Index).ToArray());

    public async IAsyncEnumerable<JobImage> Watch([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var next = 0;
        while (true)
        {
            var changed = _changed.Task;
            var images = State.Images;
            while (next < images.Count)
            {
                yield return images[next++];
            }

            if (State.State != JobState.Running)
            {
                yield break;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (State.State == JobState.Running)
        {
            StartRun();
        }
        else
        {
            await StopReminderAsync();
        }
    }

    private IGpuDirectoryGrain Directory => GrainFactory.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key);

    private IJobAdmissionGrain Admission => GrainFactory.GetGrain<IJobAdmissionGrain>(IJobAdmissionGrain.Key);

    /// <summary>Tells admission this job still runs (at every start or resume, then periodically while it runs).</summary>
    private async Task RenewAdmissionAsync()
    {
        _renewal ??= this.RegisterGrainTimer(
            _ => State.State == JobState.Running ? RenewAdmissionAsync() : Task.CompletedTask,
            new GrainTimerCreationOptions(_options.AdmissionRenewInterval, _options.AdmissionRenewInterval) { Interleave = true });
        try
        {
            await Admission.Renew(JobId, State.Request!.ImageCount - State.Images.Count);
        }
        catch (Exception e)
        {
            LogAdmissionFailed(_logger, e, JobId);
        }
    }

    private async Task ReleaseAdmissionAsync()
    {
        _renewal?.Dispose();
        _renewal = null;
        try
        {
            await Admission.Release(JobId);
        }
        catch (Exception e)
        {
            LogAdmissionFailed(_logger, e, JobId);
        }
    }

    private JobStatus Status() => new(
        JobId,
        State.State,
        State.Request?.ImageCount ?? 0,
        State.Images.Count,
        _dispatcher?.InFlight ?? 0,
        _dispatcher?.GpusBusy ?? 0,
        State.Error,
        State.SubmittedAt,
        State.FinishedAt);

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private async Task StopReminderAsync()
    {
        try
        {
            if (await this.GetReminder(ResumeReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception e)
        {
            LogReminderFailed(_logger, e, JobId);
        }
    }
}
