using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sana.Orleans.Grains.Workers;
using static Sana.Orleans.Silo.Tests.ApiHttp;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// The job API against jobs held running on purpose (<see cref="ApiGatedPipeline"/>), on a silo that queues one job at
/// a time: cancel ends the job and its event stream, a full cluster is 429 with Retry-After and stores nothing, and a
/// client that leaves an event stream stops the watch behind it.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Disposed in DisposeAsync (IAsyncLifetime).")]
public sealed class JobsApiRunningJobTests : IAsyncLifetime
{
    private readonly ApiGatedPipeline.Gate _gate = new();
    private readonly CapturedLogs _logs = new();
    private TestSilo _silo = null!;

    public async Task InitializeAsync()
    {
        _silo = await TestSilo.StartAsync("api-held", new Dictionary<string, string>
        {
            ["Sana:Grains:MaxQueuedJobs"] = "1",
            ["Sana:Grains:BusyRetryAfter"] = "00:00:03",
            ["Logging:LogLevel:Sana.Orleans.Silo.Api"] = "Debug",
        }, configureHost: h =>
        {
            h.Services.AddSingleton<IImagePipelineFactory>(new ApiGatedPipeline.Factory(_gate));
            h.Logging.AddProvider(_logs);
        });
        await WaitForGpusAsync(_silo);
    }

    public async Task DisposeAsync()
    {
        _gate.Opened.TrySetResult();
        await _silo.DisposeAsync();
        _logs.Dispose();
    }

    private static string Held(string jobId, int count = 4) =>
        $$"""{"job_id":"{{jobId}}","prompt":"{{ApiGatedPipeline.GatedPrompt}}","count":{{count}},"width":64,"height":64,"steps":1}""";

    [Fact]
    public async Task Cancel_stops_a_running_job_ends_its_event_stream_and_is_idempotent()
    {
        using var http = HttpTo(_silo);
        await SubmitWhenAdmittedAsync(http, Held("held-cancel"));
        using var stream = await OpenEventsAsync(http, "held-cancel");
        var reading = ReadEventsAsync(stream);
        await UntilAsync(http, "held-cancel", s => s.GetProperty("in_flight").GetInt32() > 0);

        using var cancelled = await http.PostAsync(new Uri("/api/jobs/held-cancel/cancel", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var status = await JsonOf(cancelled);
        Assert.Equal("cancelled", status.GetProperty("state").GetString());
        Assert.NotEqual(JsonValueKind.Null, status.GetProperty("finished_at").ValueKind);
        var events = await reading.WaitAsync(Bound);
        Assert.Equal(["status"], events.Select(e => e.Event));
        Assert.Equal("cancelled", events[0].Json.GetProperty("state").GetString());

        using var deleted = await http.DeleteAsync(new Uri("/api/jobs/held-cancel", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("cancelled", (await JsonOf(deleted)).GetProperty("state").GetString());
        Assert.Empty((await GetJsonAsync(http, "/api/jobs/held-cancel/images")).GetProperty("images").EnumerateArray());
    }

    [Fact]
    public async Task A_full_cluster_answers_429_with_retry_after_and_stores_nothing_until_there_is_room()
    {
        using var http = HttpTo(_silo);
        await SubmitWhenAdmittedAsync(http, Held("held-first", count: 2));
        const string Second = """{"job_id":"held-second","prompt":"p","count":2,"width":64,"height":64,"steps":1}""";

        using var busy = await PostJsonAsync(http, "/api/jobs", Second);

        var (field, error) = await ErrorOf(busy, HttpStatusCode.TooManyRequests);
        Assert.Null(field);
        Assert.StartsWith("busy, retry after 3 s: 1 jobs queued", error, StringComparison.Ordinal);
        Assert.Contains("(Sana:Grains:MaxQueuedJobs)", error, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(3), busy.Headers.RetryAfter?.Delta);
        await GetJsonAsync(http, "/api/jobs/held-second", HttpStatusCode.NotFound);
        Assert.False(Directory.Exists(Path.Combine(_silo.ImageFolder, "held-second")));

        using (await http.DeleteAsync(new Uri("/api/jobs/held-first", UriKind.Relative)))
        {
        }

        await SubmitWhenAdmittedAsync(http, Second);
        using var stream = await OpenEventsAsync(http, "held-second");
        Assert.Equal("completed", (await ReadEventsAsync(stream).WaitAsync(Bound))[^1].Json.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_client_that_leaves_an_event_stream_stops_the_watch_behind_it()
    {
        using (var http = HttpTo(_silo))
        {
            await SubmitWhenAdmittedAsync(http, Held("held-left"));
            var stream = await OpenEventsAsync(http, "held-left");
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            stream.Dispose();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!_logs.Entries.Any(e => e.Message.Contains("the client of job held-left's events left after 0 images", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the silo did not notice the client leave:\n" + _logs.AllText());
            await Task.Delay(100);
        }

        using var cleanup = HttpTo(_silo);
        using (await cleanup.DeleteAsync(new Uri("/api/jobs/held-left", UriKind.Relative)))
        {
        }
    }

    [Fact]
    public async Task A_silent_event_stream_sends_keep_alive_comments_so_proxies_keep_it_open()
    {
        using var http = HttpTo(_silo);
        await SubmitWhenAdmittedAsync(http, Held("held-quiet"));
        using var stream = await OpenEventsAsync(http, "held-quiet");
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());

        var line = await reader.ReadLineAsync().WaitAsync(Api.JobEventStream.KeepAliveInterval + TimeSpan.FromSeconds(10));

        Assert.Equal(": keep-alive", line);
        using (await http.DeleteAsync(new Uri("/api/jobs/held-quiet", UriKind.Relative)))
        {
        }
    }

    [Fact]
    public async Task A_size_left_out_is_the_native_size_of_the_model_the_cluster_serves()
    {
        using var http = HttpTo(_silo);
        await SubmitWhenAdmittedAsync(http, """{"job_id":"native-size","prompt":"a fox at its native size","steps":1}""");
        using (var stream = await OpenEventsAsync(http, "native-size"))
        {
            Assert.Equal("completed", (await ReadEventsAsync(stream).WaitAsync(Bound))[^1].Json.GetProperty("state").GetString());
        }

        // What `sana generate --cluster` takes for a size left out: the side the workers' model reports.
        var png = await http.GetByteArrayAsync(new Uri("/api/jobs/native-size/images/0", UriKind.Relative));
        Assert.Equal((ApiGatedPipeline.NativeSize, ApiGatedPipeline.NativeSize), PngSize(png));
    }

    /// <summary>Submits, waiting out 429s: a job the previous test cancelled leaves the queue a moment after its cancel.</summary>
    private static async Task SubmitWhenAdmittedAsync(HttpClient http, string body)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            using var response = await PostJsonAsync(http, "/api/jobs", body);
            if (response.StatusCode != HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the cluster stayed busy");
            await Task.Delay(200);
        }
    }

    private static async Task UntilAsync(HttpClient http, string jobId, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition(await GetJsonAsync(http, $"/api/jobs/{jobId}")))
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {jobId} never got there");
            await Task.Delay(50);
        }
    }
}
