using System.Globalization;

namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// The admission bookkeeping without Orleans: jobs held with their images and when they last renewed; a submission
/// that would pass a limit is refused with the limit it hit. Refused submissions queue in arrival order: a free slot
/// goes to the longest-waiting one that comes back for it, never to a newcomer, so no submission starves under
/// sustained load. A waiter that does not come back within three of its retry-afters loses its place; admissions not
/// renewed within the lease lapse.
/// </summary>
internal sealed class JobAdmission(int maxJobs, long maxImages, TimeSpan lease, TimeSpan retryAfter, TimeProvider time)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);
    private readonly Dictionary<string, (int Images, DateTimeOffset Seen)> _jobs = new(StringComparer.Ordinal);
    private readonly LinkedList<Waiter> _waiting = new();
    private readonly Dictionary<string, LinkedListNode<Waiter>> _waiters = new(StringComparer.Ordinal);
    private long _images;

    public int Jobs => _jobs.Count;

    public long Images => _images;

    public int Waiting => _waiting.Count;

    public int PeakJobs { get; private set; }

    public long PeakImages { get; private set; }

    public long Rejected { get; private set; }

    /// <summary>Null when admitted (or already held); otherwise the limit that refused it and when to come back.</summary>
    public (string Limit, TimeSpan RetryAfter)? TryAdmit(string jobId, int images)
    {
        var now = time.GetUtcNow();
        Lapse(now);
        if (_jobs.ContainsKey(jobId))
        {
            Hold(jobId, images);
            return null;
        }

        // Those queued ahead of this submission (all of them for a newcomer) go first.
        var (jobsAhead, imagesAhead) = (0, 0L);
        for (var node = _waiting.First; node is not null && node.Value.JobId != jobId; node = node.Next)
        {
            (jobsAhead, imagesAhead) = (jobsAhead + 1, imagesAhead + node.Value.Images);
        }

        string? refused = null;
        if (_jobs.Count + jobsAhead + 1 > maxJobs)
        {
            refused = string.Create(CultureInfo.InvariantCulture,
                $"{_jobs.Count} jobs queued and {jobsAhead} waiting ahead, the limit is {maxJobs} (Sana:Grains:MaxQueuedJobs)");
        }
        else if (_images + imagesAhead + images > maxImages)
        {
            refused = string.Create(CultureInfo.InvariantCulture,
                $"{_images} images queued and {imagesAhead} waiting ahead, {images} more would pass the limit of {maxImages} (Sana:Grains:MaxQueuedImages)");
        }

        if (refused is null)
        {
            if (_waiters.Remove(jobId, out var node))
            {
                _waiting.Remove(node);
            }

            Hold(jobId, images);
            return null;
        }

        Rejected++;
        var wait = retryAfter * Math.Clamp(1 + (jobsAhead / Math.Max(1, maxJobs)), 1, 10);
        var waiter = new Waiter(jobId, images, now + (wait * 3) + Grace);
        if (_waiters.TryGetValue(jobId, out var existing))
        {
            existing.Value = waiter;
        }
        else
        {
            _waiters[jobId] = _waiting.AddLast(waiter);
        }

        return (refused, wait);
    }

    public void Hold(string jobId, int images)
    {
        if (_jobs.TryGetValue(jobId, out var old))
        {
            _images -= old.Images;
        }

        _jobs[jobId] = (images, time.GetUtcNow());
        _images += images;
        PeakJobs = Math.Max(PeakJobs, _jobs.Count);
        PeakImages = Math.Max(PeakImages, _images);
    }

    public void Release(string jobId)
    {
        if (_jobs.Remove(jobId, out var old))
        {
            _images -= old.Images;
        }
    }

    private void Lapse(DateTimeOffset now)
    {
        var before = now - lease;
        foreach (var (jobId, _) in _jobs.Where(j => j.Value.Seen < before).ToArray())
        {
            Release(jobId);
        }

        for (var node = _waiting.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Until < now)
            {
                _waiting.Remove(node);
                _waiters.Remove(node.Value.JobId);
            }

            node = next;
        }
    }

    private sealed record Waiter(string JobId, int Images, DateTimeOffset Until);
}
