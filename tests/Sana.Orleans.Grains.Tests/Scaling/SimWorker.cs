namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>
/// A simulated GPU: <see cref="ImagesPerSecond"/> at its micro-batch <see cref="MicroBatch"/> (a chunk of n images takes
/// the chunk overhead plus n / speed), and the time it dies, if it does (its chunk in flight is lost).
/// </summary>
public sealed record SimWorker(string Id, double ImagesPerSecond, int MicroBatch, double DiesAt = double.PositiveInfinity)
{
    public bool Dies => !double.IsPositiveInfinity(DiesAt);
}

/// <summary>One simulated job: when it ended, how often each index was counted done and how often it was computed.</summary>
public sealed record SimResult(double Makespan, int[] CountedDone, int[] Computed, IReadOnlyDictionary<string, int> CountedByWorker, int Chunks, int Copies);

/// <summary>Reference makespans a dispatch policy is judged against.</summary>
public static class Makespans
{
    /// <summary>
    /// Total work over total speed, with a dying worker contributing only until it dies: the t with
    /// sum_i s_i * min(t, dies_i) = total (perfectly divisible work, no overhead, no lost chunk).
    /// </summary>
    public static double Ideal(int total, IReadOnlyList<SimWorker> workers)
    {
        var done = 0.0;
        var t = 0.0;
        foreach (var death in workers.Select(w => w.DiesAt).Where(d => !double.IsPositiveInfinity(d)).Order().Append(double.PositiveInfinity))
        {
            var speed = workers.Where(w => w.DiesAt > t).Sum(w => w.ImagesPerSecond);
            if (done + (speed * (death - t)) >= total)
            {
                return t + ((total - done) / speed);
            }

            done += speed * (death - t);
            t = death;
        }

        throw new InvalidOperationException("every worker dies before the work is done");
    }

    /// <summary>
    /// The static equal split <c>images_per_gpu = total // num_gpus</c>: every worker runs its share once, the job ends
    /// with the slowest; the remainder (total % num_gpus) is never made, nor is the share of a worker that dies.
    /// </summary>
    public static (double Makespan, int Dropped, int Lost) StaticSplit(int total, IReadOnlyList<SimWorker> workers, double chunkOverhead)
    {
        var share = total / workers.Count;
        var lost = workers.Where(w => chunkOverhead + (share / w.ImagesPerSecond) > w.DiesAt).Sum(_ => share);
        var makespan = workers.Where(w => !w.Dies).Max(w => chunkOverhead + (share / w.ImagesPerSecond));
        return (makespan, total - (share * workers.Count), lost);
    }
}
