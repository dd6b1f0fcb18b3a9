using Sana.Inference.Imaging;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class JobTests(ThreeSiloCluster fixture)
{
    internal static ImageJobRequest Request(int count, ulong seed = 42) => new()
    {
        Prompt = "a lighthouse at dusk",
        NegativePrompt = "blurry",
        Count = count,
        Width = TestModel.Side,
        Height = TestModel.Side,
        Steps = TestModel.Steps,
        GuidanceScale = 4.5,
        Seed = seed,
    };

    private SanaCluster Sana => fixture.Sana;

    [Fact]
    public async Task A_40_image_job_on_three_silos_stores_every_index_exactly_once()
    {
        var (status, images) = await Sana.RunAsync("forty", Request(40));
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(40, status.Completed);
        Assert.Equal(Enumerable.Range(0, 40), images.Select(i => i.Index));
        Assert.All(images, i => Assert.Equal(Request(40).SeedOf(i.Index), i.Seed));
        Assert.Equal(40, await Sana.CountStoredAsync("forty"));
        Assert.True(images.Select(i => i.GpuId).Distinct().Count() > 1, "the work spread over several GPUs");

        // Made by the real pipeline on the tiny Sana model, with the metadata that lets anyone re-make it.
        var first = (await Sana.ReadImagesAsync(images.Take(1)))[0];
        var text = ImageEncoder.ReadPngText(first);
        Assert.Equal("tiny-sana", text["model"]);
        Assert.Equal("a lighthouse at dusk", text["prompt"]);
        Assert.Equal("42", text["seed"]);
        Assert.All(await Sana.GpuDirectory.GetGpus(), g => Assert.Equal("tiny-sana", g.ModelName));
    }

    [Fact]
    public async Task Submitting_the_same_job_id_twice_runs_it_once()
    {
        var job = Sana.Job("twice");
        var first = await job.Submit(Request(6));
        var second = await job.Submit(Request(6));
        Assert.Equal(JobState.Running, first.State);
        Assert.Equal(6, second.Total);
        var (status, images) = await Sana.RunAsync("twice", Request(6));
        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(6, images.Length);
        var e = await Assert.ThrowsAsync<JobRequestException>(() => job.Submit(Request(7)));
        Assert.Equal("job_id", e.Field);
    }

    [Fact]
    public async Task Bad_requests_get_clear_errors_and_store_nothing()
    {
        (string Field, ImageJobRequest Request)[] bad =
        [
            ("count", Request(0)),
            ("width", Request(2) with { Width = TestModel.Side + 1 }),
            ("steps", Request(2) with { Steps = 0 }),
            ("guidance_scale", Request(2) with { GuidanceScale = double.NaN }),
            ("prompt", Request(2) with { Prompt = "" }),
            ("model", Request(2) with { Model = "no-such-model" }),
        ];
        foreach (var (field, request) in bad)
        {
            var jobId = "bad-" + field.Replace('_', '-');
            var e = await Assert.ThrowsAsync<JobRequestException>(() => Sana.Job(jobId).Submit(request));
            Assert.Equal(field, e.Field);
            Assert.StartsWith(field + ": ", e.Message, StringComparison.Ordinal);
            Assert.Equal(JobState.None, (await Sana.Job(jobId).GetStatus()).State);
            Assert.Equal(0, await Sana.CountStoredAsync(jobId));
        }

        Assert.Equal(ThreeSiloCluster.Spec.WorkerCount, (await Sana.GpuDirectory.GetGpus()).Length);
    }

    [Fact]
    public async Task A_cancelled_job_stops_its_gpus_promptly()
    {
        var job = Sana.Job("cancelled");
        var request = Request(2000);
        await job.Submit(request);
        using var bound = new CancellationTokenSource(SanaCluster.Bound);
        await using (var images = job.Watch(bound.Token).GetAsyncEnumerator(bound.Token))
        {
            Assert.True(await images.MoveNextAsync()); // the job is under way
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        var status = await job.Cancel().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobState.Cancelled, status.State);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"cancel took {started.Elapsed}");
        Assert.True(status.Completed < request.Count);
        Assert.Equal(0, status.InFlight);
        // The job's chunk calls end as soon as their cancellation reaches the worker; the worker lets go of its GPU
        // when its chunk has unwound (the current denoising step, encodes already started), a moment later.
        foreach (var gpu in await Sana.GpuDirectory.GetGpus())
        {
            var worker = Sana.Grains.GetGrain<IGpuWorkerGrain>(gpu.GpuId);
            var state = await worker.GetStatus();
            for (var wait = System.Diagnostics.Stopwatch.StartNew(); (state.Busy || state.Queued > 0) && wait.Elapsed < TimeSpan.FromSeconds(5);)
            {
                await Task.Delay(50); // polling a grain's state: it raises no event when its GPU goes idle
                state = await worker.GetStatus();
            }

            Assert.False(state.Busy, $"{gpu.GpuId} still busy 5 s after cancel");
            Assert.Equal(0, state.Queued);
        }

        var stored = await Sana.CountStoredAsync("cancelled");
        Assert.InRange(stored, status.Completed, request.Count - 1);
        Assert.Equal(JobState.Cancelled, (await job.Submit(request)).State);
    }
}
