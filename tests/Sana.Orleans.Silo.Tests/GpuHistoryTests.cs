using Sana.Orleans.Gpus;
using Sana.Orleans.Silo.Options;
using Sana.Orleans.Silo.Web;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// The GPU page's history buffer on a clock the test moves: samples come back oldest first, a full ring drops its
/// oldest, samples older than the window go, a GPU that stopped reporting is forgotten, and the wall clock stepping
/// back changes the stamps but neither the order nor what is kept.
/// </summary>
public sealed class GpuHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Samples_come_back_oldest_first_stamped_on_the_silo_clock()
    {
        var clock = new ManualClock(Start);
        var history = new GpuHistory(Options(interval: 5, window: 60), clock);
        for (var i = 0; i < 4; i++)
        {
            history.Record([Status("s/gpu1", imagesPerSecond: i, busy: i / 10.0), Status("s/gpu0", imagesPerSecond: 10 + i, busy: 0.5)]);
            clock.Advance(TimeSpan.FromSeconds(5));
        }

        var series = history.Read();
        Assert.Equal(["s/gpu0", "s/gpu1"], series.Select(s => s.GpuId));
        var gpu1 = series[1];
        Assert.Equal([0.0, 1, 2, 3], gpu1.ImagesPerSecond);
        Assert.Equal([0.0, 0.1, 0.2, 0.3], gpu1.BusyFraction);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal([now - 20_000, now - 15_000, now - 10_000, now - 5_000], gpu1.At);
        Assert.Equal([10.0, 11, 12, 13], series[0].ImagesPerSecond);
    }

    [Fact]
    public void A_full_ring_drops_its_oldest_sample_and_never_grows_past_the_window()
    {
        var clock = new ManualClock(Start);
        var options = Options(interval: 5, window: 60);
        var history = new GpuHistory(options, clock);
        Assert.Equal(13, history.SamplesPerGpu);

        // Samples twice as often as configured, for much longer than the window: the ring is what bounds memory.
        for (var i = 0; i < 100; i++)
        {
            history.Record([Status("s/gpu0", imagesPerSecond: i, busy: 0)]);
            clock.Advance(TimeSpan.FromMilliseconds(2500));
        }

        var kept = Assert.Single(history.Read());
        Assert.Equal(history.SamplesPerGpu, kept.At.Length);
        Assert.Equal(Enumerable.Range(100 - history.SamplesPerGpu, history.SamplesPerGpu).Select(i => (double)i), kept.ImagesPerSecond);
        Assert.True(kept.At.Zip(kept.At.Skip(1)).All(p => p.First < p.Second), "strictly increasing stamps");
    }

    [Fact]
    public void Samples_older_than_the_window_are_evicted_and_a_silent_gpu_is_forgotten()
    {
        var clock = new ManualClock(Start);
        var history = new GpuHistory(Options(interval: 5, window: 60), clock);
        history.Record([Status("s/gpu0", 1, 0.1), Status("gone/gpu0", 2, 0.2)]);
        clock.Advance(TimeSpan.FromSeconds(30));
        history.Record([Status("s/gpu0", 3, 0.3)]);

        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(2, history.GpuCount);
        Assert.Equal([1.0, 3], history.Read().Single(s => s.GpuId == "s/gpu0").ImagesPerSecond);

        clock.Advance(TimeSpan.FromSeconds(1));
        var left = Assert.Single(history.Read());
        Assert.Equal("s/gpu0", left.GpuId);
        Assert.Equal([3.0], left.ImagesPerSecond);

        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(history.Read());
        Assert.Equal(0, history.GpuCount);
    }

    [Fact]
    public void A_gpu_listed_twice_in_one_round_keeps_one_sample_its_last()
    {
        var clock = new ManualClock(Start);
        var history = new GpuHistory(Options(interval: 5, window: 60), clock);
        history.Record([Status("s/gpu0", 1, 0.1), Status("s/gpu0", 2, 0.2)]);

        var only = Assert.Single(history.Read());
        Assert.Equal([2.0], only.ImagesPerSecond);
        Assert.Equal([0.2], only.BusyFraction);
    }

    [Fact]
    public void A_wall_clock_step_back_keeps_order_and_samples()
    {
        var clock = new ManualClock(Start);
        var history = new GpuHistory(Options(interval: 5, window: 60), clock);
        history.Record([Status("s/gpu0", 1, 0)]);
        clock.Advance(TimeSpan.FromSeconds(5));
        clock.StepWallClock(TimeSpan.FromHours(-1));
        history.Record([Status("s/gpu0", 2, 0)]);

        var series = Assert.Single(history.Read());
        Assert.Equal([1.0, 2], series.ImagesPerSecond);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal([now - 5_000, now], series.At);
    }

    [Theory]
    [InlineData("00:00:05", "00:15:00", null)]
    [InlineData("00:00:00.05", "00:15:00", "SampleInterval")]
    [InlineData("00:00:05", "00:00:05", "Window")]
    [InlineData("00:00:00.1", "1.00:00:00", "Window")]
    public void The_window_must_hold_a_bounded_number_of_samples(string interval, string window, string? faultyKey)
    {
        var options = new SanaSiloOptions
        {
            GpuHistory = new GpuHistoryOptions
            {
                SampleInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture),
                Window = TimeSpan.Parse(window, System.Globalization.CultureInfo.InvariantCulture),
            },
        };

        var result = new SanaSiloOptionsValidator().Validate(null, options);
        if (faultyKey is null)
        {
            Assert.True(result.Succeeded, result.FailureMessage);
        }
        else
        {
            var failure = Assert.Single(result.Failures!);
            Assert.StartsWith($"Sana:Silo:GpuHistory:{faultyKey}:", failure, StringComparison.Ordinal);
        }
    }

    private static GpuHistoryOptions Options(int interval, int window) =>
        new() { SampleInterval = TimeSpan.FromSeconds(interval), Window = TimeSpan.FromSeconds(window) };

    private static GpuWorkerStatus Status(string gpuId, double imagesPerSecond, double busy) =>
        new(gpuId, gpuId.Split('/')[0], "cpu", "flat-colour", Capacity: 1, Queued: 0, Busy: busy > 0, imagesPerSecond,
            ImagesDone: 0, ProcessMemoryBytes: 0, GpuHealth.Ready, Error: null, ActivatedOn: gpuId.Split('/')[0])
        {
            BusyFraction = busy,
        };

    /// <summary>
    /// A clock the test moves: the monotonic timestamp and the wall clock advance together, and the wall clock alone can
    /// be stepped, as NTP does.
    /// </summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private TimeSpan _elapsed;
        private DateTimeOffset _wall = start;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _elapsed.Ticks;

        public override DateTimeOffset GetUtcNow() => _wall;

        public void Advance(TimeSpan by) => (_elapsed, _wall) = (_elapsed + by, _wall + by);

        public void StepWallClock(TimeSpan by) => _wall += by;
    }
}
