using Xunit.Abstractions;

namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>
/// The real dispatch policy (<see cref="Jobs.ChunkDispatcher"/>) in a discrete-event simulation of 2, 4 and 8 workers,
/// one slowed and, in half the runs, one dying mid-job. SANA_SCALING_REPORT=FILE writes the table of makespans.
/// </summary>
public sealed class DispatchSimulationTests(ITestOutputHelper log)
{
    public static TheoryData<SimScenario> Scenarios() => [.. SimScenario.Sweep()];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Every_index_is_counted_done_exactly_once(SimScenario scenario)
    {
        var outcome = SimOutcome.Of(scenario);
        Assert.All(outcome.Result.CountedDone, c => Assert.Equal(1, c));
        Assert.Equal(scenario.Total, outcome.Result.CountedByWorker.Values.Sum());
        Assert.All(outcome.Result.Computed, c => Assert.InRange(c, 1, 3));
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void The_dynamic_makespan_is_within_5_percent_of_ideal_or_one_chunk_where_chunks_are_coarser(SimScenario scenario)
    {
        var outcome = SimOutcome.Of(scenario);
        log.WriteLine(outcome.TableRow);
        Assert.True(outcome.Result.Makespan <= outcome.Bound, $"{scenario}: {outcome.Result.Makespan:F2}s > bound {outcome.Bound:F2}s (ideal {outcome.Ideal:F2}s)");
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void The_dynamic_split_clearly_beats_the_static_equal_split(SimScenario scenario)
    {
        // Clearly: it closes at least 3/4 of the static split's gap to the ideal and makes every image, where the
        // static split drops the remainder and, when a worker dies, its whole share.
        var outcome = SimOutcome.Of(scenario);
        if (scenario.OneDies)
        {
            Assert.True(outcome.StaticLost > 0, "a static split loses the dead worker's share");
        }
        else
        {
            var gap = outcome.StaticMakespan - outcome.Ideal;
            Assert.True(outcome.Result.Makespan - outcome.Ideal <= 0.25 * gap, $"{scenario}: dynamic {outcome.Result.Makespan:F2}s, static {outcome.StaticMakespan:F2}s, ideal {outcome.Ideal:F2}s");
        }
    }

    [Fact]
    public void Writes_the_makespan_table_when_asked()
    {
        var rows = SimScenario.Sweep().Select(s => SimOutcome.Of(s).TableRow).ToArray();
        var table = SimOutcome.TableHeader + "\n" + string.Join("\n", rows) + "\n";
        log.WriteLine(table);
        if (Environment.GetEnvironmentVariable("SANA_SCALING_REPORT") is { Length: > 0 } path)
        {
            File.WriteAllText(path, table);
        }

        Assert.Equal(18, rows.Length);
    }
}
