using CsCheck;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;
using Xunit.Abstractions;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>
/// Bad requests through the client against a real cluster: each is a <see cref="JobRequestException"/> naming its
/// field, nothing is stored, and the cluster keeps serving; random requests (CsCheck) hold the same property, and the
/// valid ones among them complete with exactly their count of images.
/// </summary>
[Collection(Cluster.ClusterCollection.Name)]
public sealed class BadInputTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Each_bad_request_is_rejected_naming_its_field_with_nothing_stored_and_the_cluster_still_serving()
    {
        await using var sana = await ReliabilityCluster.StartAsync([[TestModel.Folder]], readyGpus: 1);
        var tried = 0;
        foreach (var (name, request, field) in BadRequests.Cases())
        {
            Assert.Equal([field], BadRequests.Problems(request)); // the oracle agrees with the table
            var jobId = $"bad-{tried++}";
            var e = await Record.ExceptionAsync(() => sana.Client.SubmitAsync(request, jobId)) as JobRequestException;
            Assert.True(e is not null, $"{name}: not rejected with a JobRequestException");
            Assert.True(e.Field == field, $"{name}: rejected for '{e.Field}' ({e.Message}), expected '{field}'");
            Assert.StartsWith(field + ":", e.Message, StringComparison.Ordinal);
            Assert.Equal(JobState.None, (await sana.Client.GetStatusAsync(jobId)).State);
            Assert.Equal(0, await sana.CountStoredAsync(jobId));
        }

        var bad = await Assert.ThrowsAsync<JobRequestException>(() => sana.Client.SubmitAsync(BadRequests.Valid, "../escape"));
        Assert.Equal("job_id", bad.Field);
        var ok = await sana.Client.SubmitAsync(BadRequests.Valid with { Count = 2 }, "still-serving");
        Assert.Equal(JobState.Completed, (await sana.WaitAsync(ok)).State);
        Assert.Equal(2, await sana.CountStoredAsync(ok));
        ReliabilityLog.Write("grains", "bad-requests", new { tried = tried + 1, rejected_naming_field = tried + 1, stored = 0, cluster_served_after = true });
    }

    [Fact]
    public async Task Random_requests_are_either_completed_with_their_count_or_rejected_naming_a_bad_field()
    {
        await using var sana = await ReliabilityCluster.StartAsync([[TestModel.Folder]], readyGpus: 1);
        var sample = 0;
        var (valid, rejected) = (0, 0);
        await RequestGen.SampleAsync(async request =>
        {
            var jobId = $"fuzz-{Interlocked.Increment(ref sample)}";
            var problems = BadRequests.Problems(request);
            if (problems.Count == 0)
            {
                await sana.Client.SubmitAsync(request, jobId);
                var status = await sana.WaitAsync(jobId);
                Assert.Equal(JobState.Completed, status.State);
                Assert.Equal(request.Count, await sana.CountStoredAsync(jobId));
                valid++;
                return;
            }

            var e = await Assert.ThrowsAsync<JobRequestException>(() => sana.Client.SubmitAsync(request, jobId));
            Assert.True(e.Field is not null && problems.Contains(e.Field), $"rejected for '{e.Field}' ({e.Message}); bad fields: {string.Join(", ", problems)}");
            Assert.Equal(0, await sana.CountStoredAsync(jobId));
            rejected++;
        }, iter: Iterations, threads: 1, seed: Environment.GetEnvironmentVariable("SANA_FUZZ_SEED"));

        var after = await sana.Client.SubmitAsync(BadRequests.Valid, "after-fuzz");
        Assert.Equal(JobState.Completed, (await sana.WaitAsync(after)).State);
        log.WriteLine($"{valid} valid requests completed, {rejected} invalid rejected");
        ReliabilityLog.Write("grains", "fuzz-requests", new { samples = valid + rejected, valid_completed = valid, invalid_rejected = rejected, stored_for_invalid = 0 });
    }

    private static int Iterations => Environment.GetEnvironmentVariable("SANA_LONG_TESTS") == "1" ? 2000 : 300;

    /// <summary>Each field valid and small most of the time (so about a third of the requests are valid and cheap to run), else an edge or garbage value.</summary>
    private static Gen<T> Mostly<T>(T[] valid, T[] bad) => Gen.Frequency((7, (IGen<T>)Gen.OneOf(valid)), (1, Gen.OneOf(bad)));

    private static readonly Gen<ImageJobRequest> RequestGen =
        Gen.Select(
            Mostly(["a red fox", "emoji 🦊 ok", "ünïcödé"], ["", "  ", "nul\0here", "a \uD800 lone", new string('z', 20_001)]),
            Mostly(["", "blurry"], ["n\0", "x\uDC00", new string('q', 20_001)]),
            Mostly([1, 2, 3], [0, -1, int.MinValue, BadRequests.MaxCount + 1, int.MaxValue]),
            Mostly([32, 64, 4], [0, -32, 33, 8196, int.MaxValue]),
            Mostly([32, 36], [2, 8193, int.MinValue]),
            Mostly([1, 2], [0, -5, 1001, int.MaxValue]),
            Mostly([1.0, 4.5, 0.0], [double.NaN, double.PositiveInfinity, -1.0, 100.5]),
            Gen.Select(
                Mostly([0.0, 1.5], [double.NaN, double.NegativeInfinity, -0.1, 1e300]),
                Mostly<int[]>([[], [0], [2]], [[3], [-1], [1, 1]]),
                Mostly<string?>([null, "tiny-sana"], ["nope", ""]),
                Mostly([JobSampler.DpmSolver, JobSampler.Euler], [(JobSampler)9, (JobSampler)(-1)]),
                Mostly<double?>([null, 3.0], [0.0, double.NaN, 101.0]),
                Gen.ULong))
        .Select((p, n, count, w, h, steps, g, rest) => new ImageJobRequest
        {
            Prompt = p,
            NegativePrompt = n,
            Count = count,
            Width = w,
            Height = h,
            Steps = steps,
            GuidanceScale = g,
            PagScale = rest.Item1,
            PagLayers = rest.Item2,
            Model = rest.Item3,
            Sampler = rest.Item4,
            FlowShift = rest.Item5,
            Seed = rest.Item6,
        });
}
