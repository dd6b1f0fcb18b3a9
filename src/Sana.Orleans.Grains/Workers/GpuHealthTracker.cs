namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// Whether one GPU may take work. A model that fails to load makes it unhealthy at once; a session that fails
/// <c>unhealthyAfter</c> chunks in a row (bad requests and cancellations do not count) makes it unhealthy too. An
/// unhealthy GPU refuses chunks until a health probe succeeds. Not thread-safe: the grain's scheduler owns it.
/// </summary>
internal sealed class GpuHealthTracker(int unhealthyAfter, TimeSpan probeInterval, TimeProvider time)
{
    private int _failuresInARow;

    public bool IsUnhealthy => Reason is not null;

    /// <summary>Why the GPU is unhealthy; null while it is healthy.</summary>
    public string? Reason { get; private set; }

    /// <summary>The last failure, healthy or not (shown in status until a chunk succeeds).</summary>
    public string? LastError { get; private set; }

    public DateTimeOffset NextProbeAt { get; private set; }

    public TimeSpan UntilProbe => NextProbeAt - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;

    /// <summary>Marks the GPU unhealthy now (the model did not load); returns the probe delay.</summary>
    public TimeSpan MarkUnhealthy(string reason)
    {
        LastError = Reason = reason;
        NextProbeAt = time.GetUtcNow() + probeInterval;
        return probeInterval;
    }

    /// <summary>Counts a failed chunk; true when this failure made the GPU unhealthy.</summary>
    public bool RecordFailure(string error)
    {
        LastError = error;
        if (IsUnhealthy || ++_failuresInARow < unhealthyAfter)
        {
            return false;
        }

        MarkUnhealthy($"{_failuresInARow} chunks failed in a row; last: {error}");
        return true;
    }

    /// <summary>A probe failed: stay unhealthy, probe again later.</summary>
    public TimeSpan ProbeFailed(string error)
    {
        LastError = error;
        return MarkUnhealthy(Reason is { } reason && reason.StartsWith("model failed to load", StringComparison.Ordinal) ? $"model failed to load: {error}" : $"health probe failed: {error}");
    }

    /// <summary>A chunk or a probe succeeded: healthy again.</summary>
    public void RecordSuccess()
    {
        _failuresInARow = 0;
        Reason = null;
        LastError = null;
    }
}
