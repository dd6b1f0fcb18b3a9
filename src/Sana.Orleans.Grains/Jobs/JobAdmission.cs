using System.Globalization;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// The admission bookkeeping without Orleans: jobs held with their images and when they last renewed; a submission
/// that would pass a limit is refused with the limit it hit. Admissions not renewed within the lease lapse.
/// </summary>
internal sealed class JobAdmission(int maxJobs, long maxImages, TimeSpan lease, TimeProvider time)
{
    private readonly Dictionary<string, (int Images, DateTimeOffset Seen)> _jobs = new(StringComparer.Ordinal);
    private long _images;

    public int Jobs => _jobs.Count;

    public long Images => _images;

    public int PeakJobs { get; private set; }

    public long PeakImages { get; private set; }

    public long Rejected { get; private set; }

    /// <summary>Null when admitted (or already held); otherwise the limit that refused it.</summary>
    public string? TryAdmit(string jobId, int images)
    {
        Lapse();
        if (_jobs.ContainsKey(jobId))
        {
            Hold(jobId, images);
            return null;
        }

        string? refused = null;
        if (_jobs.Count + 1 > maxJobs)
        {
            refused = string.Create(CultureInfo.InvariantCulture, $"{_jobs.Count} jobs queued, the limit is {maxJobs} (Sana:Grains:MaxQueuedJobs)");
        }
        else if (_images + images > maxImages)
        {
            refused = string.Create(CultureInfo.InvariantCulture,
                $"{_images} images queued, {images} more would pass the limit of {maxImages} (Sana:Grains:MaxQueuedImages)");
        }

        if (refused is not null)
        {
            Rejected++;
            return refused;
        }

        Hold(jobId, images);
        return null;
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

    private void Lapse()
    {
        var before = time.GetUtcNow() - lease;
        foreach (var (jobId, entry) in _jobs.Where(j => j.Value.Seen < before).ToArray())
        {
            Release(jobId);
        }
    }
}
