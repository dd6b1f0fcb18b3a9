namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>A clock the dispatch simulation sets: the dispatcher measures GPU speeds on it as it would on the real one.</summary>
public sealed class SimulationClock : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Simulated seconds since the job started.</summary>
    public double Now { get; set; }

    public override long TimestampFrequency => 1_000_000_000;

    public override long GetTimestamp() => (long)Math.Round(Now * TimestampFrequency);

    public override DateTimeOffset GetUtcNow() => Epoch + TimeSpan.FromSeconds(Now);
}
