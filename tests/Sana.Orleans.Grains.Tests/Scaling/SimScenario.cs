namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>
/// The simulated clusters the scaling tests sweep: <c>gpu0</c> is slowed (listed first, so it is always offered work
/// first), <c>gpu1</c> optionally dies mid-job, the rest run at the nominal speed. Speeds after the 1600M anchor of
/// issue 7: 2.1 images/s per H200 at 1024px and micro-batch 16.
/// </summary>
public sealed record SimScenario(string Name, int Total, int Workers, double Speed, int MicroBatch, double SlowFactor, int SlowMicroBatch, bool OneDies)
{
    public const double ChunkOverhead = 0.05;

    public IReadOnlyList<SimWorker> Build()
    {
        var healthy = Enumerable.Range(0, Workers).Select(i => new SimWorker($"gpu{i}", Speed, MicroBatch)).ToArray();
        var ideal = Makespans.Ideal(Total, healthy);
        return [.. healthy.Select((w, i) => i switch
        {
            0 => w with { ImagesPerSecond = Speed / SlowFactor, MicroBatch = SlowMicroBatch },
            1 when OneDies => w with { DiesAt = Math.Round(0.4 * ideal, 3) },
            _ => w,
        })];
    }

    /// <summary>One chunk of granularity: a full chunk on a fastest worker that lives to the end.</summary>
    public static double Granularity(IReadOnlyList<SimWorker> workers)
    {
        var survivors = workers.Where(w => !w.Dies).ToArray();
        var fastest = survivors.Max(w => w.ImagesPerSecond);
        return survivors.Where(w => w.ImagesPerSecond == fastest).Max(w => ChunkOverhead + (w.MicroBatch / w.ImagesPerSecond));
    }

    /// <summary>The profiles swept: issue 7's 256-image job at micro-batch 16; a finer one; the mixed case of a smaller micro-batch.</summary>
    public static IEnumerable<SimScenario> Sweep() =>
        from profile in new[]
        {
            new SimScenario("256 images, mb 16, gpu0 4x slower", 256, 0, 2.1, 16, 4, 16, false),
            new SimScenario("1003 images, mb 4, gpu0 4x slower", 1003, 0, 2.1, 4, 4, 4, false),
            new SimScenario("256 images, mb 16, gpu0 mb 4 at 0.8x", 256, 0, 2.1, 16, 1.25, 4, false),
        }
        from workers in new[] { 2, 4, 8 }
        from dies in new[] { false, true }
        select profile with { Workers = workers, OneDies = dies };

    public string Label => $"{Name}{(OneDies ? ", gpu1 dies" : "")}, {Workers} workers";

    public override string ToString() => Label;
}
