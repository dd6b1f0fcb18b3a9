using System.Globalization;

namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>
/// One scenario run through the simulation, with the references it is judged by. The bound the dynamic dispatch must
/// meet: T_dyn &lt;= T_ideal + max(5% of T_ideal, L / S + g), where L is the chunk a dying worker loses (its micro-batch
/// times the chunk factor), S the speed of the workers that live to the end, and g one full chunk (plus overhead) on
/// a fastest survivor: the last fresh chunk goes out no later than T_ideal + L / S (no survivor idles while work
/// waits), and nothing runs longer than one chunk after that because a straggler's chunk is re-run by idle GPUs.
/// </summary>
public sealed record SimOutcome(SimScenario Scenario, SimResult Result, double Ideal, double StaticMakespan, int StaticDropped, int StaticLost, double Allowance)
{
    public static SimOutcome Of(SimScenario scenario)
    {
        var workers = scenario.Build();
        var result = new DispatchSimulation(workers).Run(scenario.Total);
        var ideal = Makespans.Ideal(scenario.Total, workers);
        var (staticMakespan, dropped, lost) = Makespans.StaticSplit(scenario.Total, workers, SimScenario.ChunkOverhead);
        var survivors = workers.Where(w => !w.Dies).Sum(w => w.ImagesPerSecond);
        var lostChunk = workers.Where(w => w.Dies).Sum(w => w.MicroBatch);
        var allowance = Math.Max(0.05 * ideal, (lostChunk / survivors) + SimScenario.Granularity(workers));
        return new SimOutcome(scenario, result, ideal, staticMakespan, dropped, lost, allowance);
    }

    public double Bound => Ideal + Allowance;

    public static string TableHeader =>
        "| scenario | ideal s | dynamic s | dyn/ideal | bound s | static split s | static: images not made | chunks (re-runs) |\n|---|---|---|---|---|---|---|---|";

    public string TableRow => string.Create(CultureInfo.InvariantCulture,
        $"| {Scenario.Label} | {Ideal:F2} | {Result.Makespan:F2} | {Result.Makespan / Ideal:F3} | {Bound:F2} | {StaticMakespan:F2}{(StaticLost > 0 ? " (never completes)" : "")} | {StaticDropped + StaticLost} | {Result.Chunks} ({Result.Copies}) |");
}
