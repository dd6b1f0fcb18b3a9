using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;
using Xunit.Abstractions;

namespace Sana.Orleans.Silo.Tests;

/// <summary>The Prometheus endpoint of a real silo, scraped over loopback HTTP before and after a job.</summary>
public sealed class MetricsEndpointTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>
    /// This test's silo. OpenTelemetry's exporter listens to every meter of its name in the process, so the silos of
    /// other tests running beside this one show in its scrape too (a silo in production has a process to itself);
    /// their series come and go, so sums are taken over this silo's series only.
    /// </summary>
    private static readonly (string, string) Mine = ("silo", "metered");

    [Fact]
    public async Task Metrics_of_every_gpu_are_scraped_at_slash_metrics_and_move_when_a_job_runs()
    {
        await using var silo = await TestSilo.StartAsync("metered");
        using var http = new HttpClient { BaseAddress = silo.HttpAddress };
        var grains = silo.App.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).WaitForGpus(2).WaitAsync(Bound);

        var before = await ScrapeAsync(http);
        var sana = silo.App.Services.GetRequiredService<ISanaClient>();
        var request = new ImageJobRequest { Prompt = "metered", Count = 6, Width = 64, Height = 64, Steps = 1, Seed = 3 };
        var jobId = await sana.SubmitAsync(request, "metered-job");
        await sana.WatchAsync(jobId).ToListAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(JobState.Completed, (await sana.GetStatusAsync(jobId)).State);

        // Gauges are sampled in the background: scrape until the job's images show (bounded), then check the rest.
        var after = await ScrapeAsync(http);
        var deadline = DateTime.UtcNow + Bound;
        while (Scrape.Sum(after, "sana_gpu_images_total", Mine) - Scrape.Sum(before, "sana_gpu_images_total", Mine) < 6
            || Scrape.Sum(after, "sana_gpu_images_rate_per_second", Mine) <= 0)
        {
            // On a timeout, what the endpoint said is the first thing to read.
            Assert.True(DateTime.UtcNow < deadline, $"the job's images never showed in /metrics; before:\n{SanaLines(before)}\nlast:\n{SanaLines(after)}");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            after = await ScrapeAsync(http);
        }

        output.WriteLine(after);

        // Every image counts once at least; an idle GPU may re-run a straggler's chunk (the job keeps the first
        // result), and the counter counts GPU work, so a re-run image may count twice.
        var made = Scrape.Sum(after, "sana_gpu_images_total", Mine) - Scrape.Sum(before, "sana_gpu_images_total", Mine);
        Assert.InRange(made, 6, 12);
        Assert.True(Scrape.Sum(after, "sana_gpu_images_total", ("gpu", "metered/gpu0"), ("silo", "metered"), ("device", "cpu")) >= 0);
        Assert.True(Scrape.Sum(after, "sana_gpu_chunk_duration_seconds_count", Mine) > Scrape.Sum(before, "sana_gpu_chunk_duration_seconds_count", Mine));
        Assert.True(Scrape.Sum(after, "sana_job_duration_seconds_count", ("state", "Completed")) >= 1);
        foreach (var gpu in new[] { "metered/gpu0", "metered/gpu1" })
        {
            Assert.True(Scrape.Has(after, "sana_gpu_queue_depth"), "queue depth gauge missing");
            Assert.Equal(0, Scrape.Sum(after, "sana_gpu_queue_depth", ("gpu", gpu)));
            Assert.InRange(Scrape.Sum(after, "sana_gpu_busy_fraction", ("gpu", gpu)), 0, 1);
            Assert.True(Scrape.Sum(after, "sana_gpu_memory_used_bytes", ("gpu", gpu)) > 0, $"{gpu}: memory used");
            Assert.True(Scrape.Sum(after, "sana_gpu_memory_free_bytes", ("gpu", gpu)) > 0, $"{gpu}: memory free");
        }

        Assert.True(Scrape.Sum(after, "sana_gpu_busy_fraction", Mine) > 0, "some GPU was busy during the last minute");
        Assert.True(Scrape.Sum(after, "sana_gpu_images_rate_per_second", Mine) > 0, "images/s after the job");
        Assert.Equal(0, Scrape.Sum(after, "sana_gpu_chunk_failures_total", Mine));
    }

    private static string SanaLines(string scrape) =>
        string.Join('\n', scrape.Split('\n').Where(l => l.StartsWith("sana_gpu_images", StringComparison.Ordinal)));

    private static async Task<string> ScrapeAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}
