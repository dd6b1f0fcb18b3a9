using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Sana.Orleans.Silo.Api;
using static Sana.Orleans.Silo.Tests.ApiHttp;

namespace Sana.Orleans.Silo.Tests;

/// <summary>One real silo (Kestrel, grains, file store) shared by the job API tests that need no special configuration.</summary>
public sealed class ApiSiloFixture : IAsyncLifetime
{
    public TestSilo Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Silo = await TestSilo.StartAsync("api");
        await WaitForGpusAsync(Silo);
    }

    public async Task DisposeAsync() => await Silo.DisposeAsync();

    /// <summary>The job folders in the silo's image store: a rejected request must add none.</summary>
    public string[] StoredJobs() =>
        Directory.Exists(Silo.ImageFolder) ? [.. Directory.GetDirectories(Silo.ImageFolder).Select(Path.GetFileName).Order()!] : [];
}

[CollectionDefinition(Name)]
public sealed class ApiSiloCollection : ICollectionFixture<ApiSiloFixture>
{
    public const string Name = "job API silo";
}

/// <summary>The job API over real HTTP against a real silo: submit, follow, fetch, idempotency, 404s, limits, OpenAPI.</summary>
[Collection(ApiSiloCollection.Name)]
public sealed class JobsApiTests(ApiSiloFixture fixture)
{
    private TestSilo Silo => fixture.Silo;

    [Fact]
    public async Task A_job_submitted_over_http_is_followed_by_events_to_its_end_and_its_pngs_are_fetched()
    {
        using var http = HttpTo(Silo);
        using var submitted = await PostJsonAsync(http, "/api/jobs",
            """{"job_id":"http-1","prompt":"a red fox","count":6,"width":64,"height":64,"steps":2,"seed":100}""");

        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        Assert.Equal("/api/jobs/http-1", submitted.Headers.Location?.OriginalString);
        var status = await JsonOf(submitted);
        Assert.Equal("http-1", status.GetProperty("job_id").GetString());
        Assert.Equal(6, status.GetProperty("total").GetInt32());
        Assert.Contains(status.GetProperty("state").GetString(), new[] { "running", "completed" });

        using var stream = await OpenEventsAsync(http, "http-1");
        var events = await ReadEventsAsync(stream).WaitAsync(Bound);
        var images = events.Where(e => e.Event == "image").ToArray();
        Assert.Equal(Enumerable.Range(0, 6), images.Select(e => e.Json.GetProperty("index").GetInt32()).Order());
        Assert.All(images, e => Assert.Equal(e.Json.GetProperty("index").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), e.Id));
        Assert.All(images, e => Assert.Equal(100UL + (ulong)e.Json.GetProperty("index").GetInt32(), e.Json.GetProperty("seed").GetUInt64()));
        Assert.Equal(Enumerable.Range(1, 6), images.Select(e => e.Json.GetProperty("completed").GetInt32()));
        Assert.All(images, e => Assert.Equal(6, e.Json.GetProperty("total").GetInt32()));
        Assert.Equal("status", events[^1].Event);
        Assert.Equal(7, events.Count);
        Assert.Equal("completed", events[^1].Json.GetProperty("state").GetString());
        Assert.Equal(6, events[^1].Json.GetProperty("completed").GetInt32());

        var done = await GetJsonAsync(http, "/api/jobs/http-1");
        Assert.Equal("completed", done.GetProperty("state").GetString());
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("finished_at").ValueKind);

        var list = await GetJsonAsync(http, "/api/jobs/http-1/images");
        var listed = list.GetProperty("images").EnumerateArray().ToArray();
        Assert.Equal(Enumerable.Range(0, 6), listed.Select(i => i.GetProperty("index").GetInt32()));
        foreach (var image in listed)
        {
            Assert.StartsWith("api/gpu", image.GetProperty("gpu").GetString(), StringComparison.Ordinal);
            await AssertPngServedAsync(http, image);
        }
    }

    [Fact]
    public async Task A_job_of_many_prompts_over_http_says_each_images_item_and_writes_its_manifest()
    {
        using var http = HttpTo(Silo);
        using var submitted = await PostJsonAsync(http, "/api/jobs",
            """{"job_id":"http-items","width":64,"height":64,"steps":2,"items":[{"prompt":"a red fox","count":2,"seed":"9"},{"prompt":"a boat","negative_prompt":"fog","seed":40}]}""");
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        Assert.Equal(3, (await JsonOf(submitted)).GetProperty("total").GetInt32());

        using var stream = await OpenEventsAsync(http, "http-items");
        var events = await ReadEventsAsync(stream).WaitAsync(Bound);
        Assert.Equal("completed", events[^1].Json.GetProperty("state").GetString());
        var listed = (await GetJsonAsync(http, "/api/jobs/http-items/images")).GetProperty("images").EnumerateArray().ToArray();
        Assert.Equal([0, 0, 1], listed.Select(i => i.GetProperty("item").GetInt32()));
        Assert.Equal([0, 1, 0], listed.Select(i => i.GetProperty("index_in_item").GetInt32()));
        Assert.Equal([9UL, 10UL, 40UL], listed.Select(i => i.GetProperty("seed").GetUInt64()));
        foreach (var image in listed)
        {
            var bytes = await File.ReadAllBytesAsync(image.GetProperty("reference").GetString()!);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), image.GetProperty("sha256").GetString());
        }

        var manifest = await File.ReadAllLinesAsync(Path.Combine(Silo.ImageFolder, "http-items", "manifest.jsonl"));
        Assert.Equal(3, manifest.Length);
        Assert.Equal("a boat", JsonDocument.Parse(manifest[2]).RootElement.GetProperty("prompt").GetString());

        using var bad = await PostJsonAsync(http, "/api/jobs", """{"job_id":"http-bad-items","items":[{"prompt":"a fox"},{"prompt":"x","colour":"red"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("items[1].colour", (await JsonOf(bad)).GetProperty("field").GetString());
    }

    /// <summary>The URL serves the very bytes in the store, as a PNG of the asked size, with an ETag that gives 304.</summary>
    private static async Task AssertPngServedAsync(HttpClient http, JsonElement image)
    {
        var url = image.GetProperty("url").GetString()!;
        using var response = await http.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(PngSignature, bytes[..8]);
        Assert.Equal((64, 64), PngSize(bytes));
        Assert.Equal(await File.ReadAllBytesAsync(image.GetProperty("reference").GetString()!), bytes);

        using var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var notModified = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task The_same_job_id_again_is_the_same_job_and_another_request_under_it_is_refused()
    {
        using var http = HttpTo(Silo);
        const string Body = """{"job_id":"http-idem","prompt":"one fox","count":3,"width":64,"height":64,"steps":1,"seed":7}""";

        using var first = await PostJsonAsync(http, "/api/jobs", Body);
        using var second = await PostJsonAsync(http, "/api/jobs", Body);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("/api/jobs/http-idem", second.Headers.Location?.OriginalString);
        Assert.Equal("http-idem", (await JsonOf(second)).GetProperty("job_id").GetString());
        using (var events = await OpenEventsAsync(http, "http-idem"))
        {
            Assert.Equal("completed", (await ReadEventsAsync(events).WaitAsync(Bound))[^1].Json.GetProperty("state").GetString());
        }

        using var third = await PostJsonAsync(http, "/api/jobs", Body);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal("completed", (await JsonOf(third)).GetProperty("state").GetString());
        Assert.Equal(["000000-7.png", "000001-8.png", "000002-9.png", "manifest.jsonl"],
            Directory.GetFiles(Path.Combine(Silo.ImageFolder, "http-idem")).Select(Path.GetFileName).Order());

        using var other = await PostJsonAsync(http, "/api/jobs", Body.Replace("one fox", "two foxes", StringComparison.Ordinal));
        var (field, error) = await ErrorOf(other, HttpStatusCode.BadRequest);
        Assert.Equal("job_id", field);
        Assert.Equal("job_id: 'http-idem' is already used by a different request", error);
    }

    [Fact]
    public async Task Without_a_job_id_each_submission_is_a_new_job()
    {
        using var http = HttpTo(Silo);
        const string Body = """{"prompt":"a fox","width":64,"height":64,"steps":1}""";

        using var first = await PostJsonAsync(http, "/api/jobs", Body);
        using var second = await PostJsonAsync(http, "/api/jobs", Body);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var id = (await JsonOf(first)).GetProperty("job_id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.NotEqual(id, (await JsonOf(second)).GetProperty("job_id").GetString());
        Assert.Equal($"/api/jobs/{id}", first.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Unknown_jobs_and_images_are_404_naming_what_is_missing_on_every_route()
    {
        using var http = HttpTo(Silo);
        foreach (var id in new[] { "no-such-job", "bad%20id", ".hidden" })
        {
            foreach (var (method, path) in new[]
            {
                (HttpMethod.Get, $"/api/jobs/{id}"), (HttpMethod.Get, $"/api/jobs/{id}/images"), (HttpMethod.Get, $"/api/jobs/{id}/images/0"),
                (HttpMethod.Get, $"/api/jobs/{id}/events"), (HttpMethod.Post, $"/api/jobs/{id}/cancel"), (HttpMethod.Delete, $"/api/jobs/{id}"),
            })
            {
                using var response = await http.SendAsync(new HttpRequestMessage(method, path));
                var (field, error) = await ErrorOf(response, HttpStatusCode.NotFound);
                Assert.Equal("job_id", field);
                Assert.Equal($"job_id: '{Uri.UnescapeDataString(id)}' is not a job of this cluster", error);
            }
        }

        using var submitted = await PostJsonAsync(http, "/api/jobs", """{"job_id":"http-404","prompt":"p","count":1,"width":64,"height":64,"steps":1}""");
        using (var events = await OpenEventsAsync(http, "http-404"))
        {
            await ReadEventsAsync(events).WaitAsync(Bound);
        }

        using var missing = await http.GetAsync(new Uri("/api/jobs/http-404/images/1", UriKind.Relative));
        Assert.Equal(("index", "index: image 1 of job 'http-404' is not stored (yet)"), await ErrorOf(missing, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task Bodies_over_the_limit_are_413_bodies_that_are_not_json_415_and_neither_stores_anything()
    {
        using var http = HttpTo(Silo);
        var before = fixture.StoredJobs();
        var huge = $$"""{"job_id":"http-huge","prompt":"{{new string('a', JobRequestReader.MaxBodyBytes)}}"}""";

        using var sized = await PostJsonAsync(http, "/api/jobs", huge);
        Assert.Equal(("request", $"request: the body is {huge.Length} bytes, more than the limit of {JobRequestReader.MaxBodyBytes} bytes"),
            await ErrorOf(sized, HttpStatusCode.RequestEntityTooLarge));

        // Chunked, with no length to refuse up front: the silo stops reading at the limit.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var chunkedRequest = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = chunked };
        chunkedRequest.Headers.TransferEncodingChunked = true;
        using var streamed = await http.SendAsync(chunkedRequest);
        var (field, error) = await ErrorOf(streamed, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("request", field);
        Assert.Equal($"request: the body is more than the limit of {JobRequestReader.MaxBodyBytes} bytes", error);

        using var text = await http.PostAsync(new Uri("/api/jobs", UriKind.Relative), new StringContent("""{"prompt":"p"}""", Encoding.UTF8, "text/plain"));
        Assert.Equal(("request", "request: the body must be JSON (Content-Type: application/json), not 'text/plain; charset=utf-8'"),
            await ErrorOf(text, HttpStatusCode.UnsupportedMediaType));

        Assert.Equal(before, fixture.StoredJobs());
        await GetJsonAsync(http, "/api/jobs/http-huge", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_openapi_document_lists_every_job_route_and_every_request_field()
    {
        using var http = HttpTo(Silo);
        var document = await GetJsonAsync(http, JobsApi.OpenApiDocumentPath);

        var documented = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}"))
            .Order(StringComparer.Ordinal).ToArray();
        string[] expected =
        [
            "DELETE /api/jobs/{id}", "GET /api/jobs/{id}", "GET /api/jobs/{id}/events", "GET /api/jobs/{id}/images",
            "GET /api/jobs/{id}/images/{index}", "POST /api/jobs", "POST /api/jobs/{id}/cancel",
        ];
        Assert.Equal(expected, documented);
        Assert.Equal(expected, MappedJobRoutes());

        var body = document.GetProperty("paths").GetProperty("/api/jobs").GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var schema = Resolve(document, body);
        Assert.Equal(JobRequestReader.Fields.Order(StringComparer.Ordinal), schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        // A prompt or items: neither is required alone; an item needs its prompt.
        Assert.False(schema.TryGetProperty("required", out var required) && required.GetArrayLength() > 0);
        var item = Resolve(document, schema.GetProperty("properties").GetProperty("items").GetProperty("items"));
        Assert.Equal(JobRequestReader.ItemFields.Order(StringComparer.Ordinal), item.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["prompt"], item.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        // Numbers are numbers (the reader refuses "4" for a count); only the seed may also come as a string of digits.
        Assert.Equal(["null", "integer"], Types(schema, "count"));
        Assert.Equal(["null", "number"], Types(schema, "guidance_scale"));
        Assert.Equal(["null", "integer", "string"], Types(schema, "seed"));
        Assert.Contains("429", document.GetProperty("paths").GetProperty("/api/jobs").GetProperty("post").GetProperty("responses").EnumerateObject().Select(r => r.Name));
        Assert.False(document.TryGetProperty("components", out var components) && components.TryGetProperty("securitySchemes", out _),
            "a loopback silo without access settings demands no credentials");
    }

    /// <summary>The job routes the silo actually maps, as "METHOD /path" with route constraints dropped.</summary>
    private string[] MappedJobRoutes() =>
        [.. Silo.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith(JobsApi.JobsPath, StringComparison.Ordinal) == true)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods
                .Select(m => $"{m} {e.RoutePattern.RawText!.Replace(":int", "", StringComparison.Ordinal).TrimEnd('/')}"))
            .Order(StringComparer.Ordinal)];

    private static string[] Types(JsonElement schema, string property) =>
        [.. schema.GetProperty("properties").GetProperty(property).GetProperty("type").EnumerateArray().Select(t => t.GetString()!)];

    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference))
        {
            return schema;
        }

        var name = reference.GetString()!.Split('/')[^1];
        return document.GetProperty("components").GetProperty("schemas").GetProperty(name);
    }
}
