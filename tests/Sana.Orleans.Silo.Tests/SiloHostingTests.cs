using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;
using Sana.Orleans.Silo.Hosting;

namespace Sana.Orleans.Silo.Tests;

/// <summary>One silo on localhost clustering, the way `sana silo` runs it with no configuration but names and ports.</summary>
public sealed class SiloHostingTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await TestSilo.StartAsync("alpha");

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task Health_reports_the_silo_active_with_its_named_workers()
    {
        using var http = new HttpClient { BaseAddress = _silo.HttpAddress };

        using var response = await http.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("alpha", body.RootElement.GetProperty("silo").GetString());
        Assert.Equal("Active", body.RootElement.GetProperty("status").GetString());
        var workers = body.RootElement.GetProperty("workers").EnumerateArray().ToArray();
        Assert.Equal(["alpha/gpu0", "alpha/gpu1"], workers.Select(w => w.GetProperty("gpuId").GetString()));
        Assert.All(workers, w => Assert.Equal("cpu", w.GetProperty("device").GetString()));
    }

    [Fact]
    public async Task The_dashboard_is_served_on_the_silo_http_port()
    {
        using var http = new HttpClient { BaseAddress = _silo.HttpAddress };

        var page = await http.GetStringAsync(new Uri("/dashboard/", UriKind.Relative));

        Assert.Contains("<html", page, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_http_surface_listens_on_loopback_by_default()
    {
        Assert.Equal("127.0.0.1", _silo.HttpAddress.Host);
    }

    [Fact]
    public async Task A_job_submitted_through_the_in_silo_client_stores_every_image_once()
    {
        var client = _silo.App.Services.GetRequiredService<ISanaClient>();
        var grains = _silo.App.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).WaitForGpus(2).WaitAsync(Bound);
        var request = new ImageJobRequest { Prompt = "a red fox", Count = 6, Width = 64, Height = 64, Steps = 2, Seed = 100 };

        var jobId = await client.SubmitAsync(request, "job-hosting-1");
        var progress = await client.WatchAsync(jobId).ToListAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(Enumerable.Range(0, 6), progress.Select(p => p.Image.Index).Order());
        Assert.Equal(JobState.Completed, (await client.GetStatusAsync(jobId)).State);
        var files = Directory.GetFiles(Path.Combine(_silo.ImageFolder, jobId)).Select(Path.GetFileName).Order();
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"{i:D6}-{100 + i}.png").Append("manifest.jsonl"), files);
        var gpus = await client.ListGpusAsync();
        Assert.Equal(["alpha/gpu0", "alpha/gpu1"], gpus.Select(g => g.GpuId).Order());
    }
}
