using Sana.Orleans.Grains.Jobs;

namespace Sana.Orleans.Grains.Tests.Dispatch;

public sealed class JobAdmissionTests
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);
    private readonly ManualTime _time = new();

    private JobAdmission Door(int jobs = 2, long images = 100) => new(jobs, images, TimeSpan.FromMinutes(1), RetryAfter, _time);

    [Fact]
    public void Past_the_job_limit_a_submission_is_refused_naming_the_limit_and_when_to_come_back()
    {
        var door = Door();
        Assert.Null(door.TryAdmit("a", 1));
        Assert.Null(door.TryAdmit("b", 1));
        var busy = door.TryAdmit("c", 1);
        Assert.NotNull(busy);
        Assert.Contains("MaxQueuedJobs", busy.Value.Limit, StringComparison.Ordinal);
        Assert.Equal(RetryAfter, busy.Value.RetryAfter);
        Assert.Null(door.TryAdmit("a", 1)); // a job already held is never refused
        Assert.Equal((2, 1L, 1), (door.Jobs, door.Rejected, door.Waiting));
    }

    [Fact]
    public void A_freed_slot_goes_to_the_longest_waiting_submission_not_to_a_newcomer_or_a_later_one()
    {
        var door = Door(jobs: 1);
        Assert.Null(door.TryAdmit("running", 1));
        Assert.NotNull(door.TryAdmit("first", 1));
        Assert.NotNull(door.TryAdmit("second", 1));
        door.Release("running");

        Assert.NotNull(door.TryAdmit("newcomer", 1));
        Assert.NotNull(door.TryAdmit("second", 1));
        Assert.Null(door.TryAdmit("first", 1));
        door.Release("first");
        Assert.Null(door.TryAdmit("second", 1));
    }

    [Fact]
    public void A_waiter_that_does_not_come_back_loses_its_place_and_a_job_that_stops_renewing_lapses()
    {
        var door = Door(jobs: 1);
        Assert.Null(door.TryAdmit("running", 1));
        Assert.NotNull(door.TryAdmit("gone", 1));
        Assert.NotNull(door.TryAdmit("patient", 1));
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.NotNull(door.TryAdmit("patient", 1)); // comes back in time: keeps its place behind "gone"
        door.Release("running");
        _time.Advance(TimeSpan.FromSeconds(3)); // "gone" stayed away past three retry-afters and the grace
        Assert.Null(door.TryAdmit("patient", 1));

        _time.Advance(TimeSpan.FromMinutes(2)); // "patient" never renewed: its admission lapses
        Assert.Null(door.TryAdmit("next", 1));
        Assert.Equal(1, door.Jobs);
    }

    [Fact]
    public void Past_the_image_limit_a_submission_is_refused_while_smaller_work_already_held_stays()
    {
        var door = Door(jobs: 10, images: 50);
        Assert.Null(door.TryAdmit("forty", 40));
        var busy = door.TryAdmit("twenty", 20);
        Assert.Contains("MaxQueuedImages", busy!.Value.Limit, StringComparison.Ordinal);
        door.Hold("forty", 5); // renewed with what it has left
        Assert.Null(door.TryAdmit("twenty", 20));
        Assert.Equal(25, door.Images);
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
