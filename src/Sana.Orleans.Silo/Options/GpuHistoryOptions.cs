namespace Sana.Orleans.Silo.Options;

/// <summary>
/// The GPU page's recent history (<c>Sana:Silo:GpuHistory</c>): the silo samples every GPU's images/s and busy share
/// each <see cref="SampleInterval"/> and keeps them for <see cref="Window"/>, in memory only, for the page's charts.
/// </summary>
public sealed class GpuHistoryOptions
{
    /// <summary>Most samples a GPU may keep; the window and interval together must stay under it, so memory stays bounded.</summary>
    public const int MaxSamplesPerGpu = 10_000;

    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Samples one GPU holds when the whole window is full: one per interval, plus the one at the window's start.</summary>
    public int SamplesPerGpu => (int)Math.Min(MaxSamplesPerGpu + 1L, (long)Math.Ceiling(Window / SampleInterval) + 1);

    internal IEnumerable<string> Problems(string prefix)
    {
        if (SampleInterval < TimeSpan.FromMilliseconds(100))
        {
            yield return $"{prefix}SampleInterval: {SampleInterval} must be at least 00:00:00.1";
        }
        else if (Window < SampleInterval * 2)
        {
            yield return $"{prefix}Window: {Window} must hold at least two samples ({prefix}SampleInterval is {SampleInterval})";
        }
        else if (Window / SampleInterval > MaxSamplesPerGpu)
        {
            yield return $"{prefix}Window: {Window} at {prefix}SampleInterval {SampleInterval} is more than {MaxSamplesPerGpu} samples per GPU";
        }
    }
}
