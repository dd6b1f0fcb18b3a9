using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sana.Orleans.Silo.Api;
using static Sana.Orleans.Silo.Tests.ApiHttp;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// The job API sits behind the silo's access check like the dashboard: with an API key or basic credentials
/// configured, every route and the OpenAPI document answer 401 without them, and the document names the schemes (never
/// the secrets). Sana:Silo:ApiEnabled=false leaves the routes unmapped.
/// </summary>
public sealed class JobsApiAccessTests
{
    private const string ApiKey = "k3y-0f-the-j0b-api-4-tests-0123456789";
    private const string Password = "pa55-w0rd-0f-the-j0b-api";

    [Fact]
    public async Task A_protected_silo_answers_every_api_route_only_with_credentials()
    {
        await using var silo = await TestSilo.StartAsync("api-guarded", new Dictionary<string, string>
        {
            ["Sana:Silo:HttpAccess:ApiKey"] = ApiKey,
            ["Sana:Silo:HttpAccess:BasicUser"] = "ops",
            ["Sana:Silo:HttpAccess:BasicPassword"] = Password,
        });
        await WaitForGpusAsync(silo);
        using var http = HttpTo(silo);
        (HttpMethod Method, string Path)[] routes =
        [
            (HttpMethod.Post, "/api/jobs"), (HttpMethod.Get, "/api/jobs/guarded-1"), (HttpMethod.Get, "/api/jobs/guarded-1/images"),
            (HttpMethod.Get, "/api/jobs/guarded-1/images/0"), (HttpMethod.Get, "/api/jobs/guarded-1/events"),
            (HttpMethod.Post, "/api/jobs/guarded-1/cancel"), (HttpMethod.Delete, "/api/jobs/guarded-1"), (HttpMethod.Get, JobsApi.OpenApiDocumentPath),
        ];
        foreach (var (method, path) in routes)
        {
            using var anonymous = await http.SendAsync(Request(method, path));
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {(int)anonymous.StatusCode}");
            var wrong = Request(method, path);
            wrong.Headers.Add("X-Sana-Api-Key", ApiKey + "x");
            using var refused = await http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        Assert.False(Directory.Exists(silo.ImageFolder) && Directory.GetDirectories(silo.ImageFolder).Length > 0, "an anonymous submit stored something");

        var submit = Request(HttpMethod.Post, "/api/jobs");
        submit.Headers.Add("X-Sana-Api-Key", ApiKey);
        using var submitted = await http.SendAsync(submit);
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var watch = Request(HttpMethod.Get, "/api/jobs/guarded-1/events");
        watch.Headers.Authorization = Basic();
        using (var events = await http.SendAsync(watch, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal("completed", (await ReadEventsAsync(events).WaitAsync(Bound))[^1].Json.GetProperty("state").GetString());
        }

        var image = Request(HttpMethod.Get, "/api/jobs/guarded-1/images/0");
        image.Headers.Authorization = Basic();
        using var png = await http.SendAsync(image);
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal(PngSignature, (await png.Content.ReadAsByteArrayAsync())[..8]);
    }

    [Fact]
    public async Task The_openapi_document_of_a_protected_silo_names_its_schemes_and_not_its_secrets()
    {
        await using var silo = await TestSilo.StartAsync("api-guarded-doc", new Dictionary<string, string>
        {
            ["Sana:Silo:HttpAccess:ApiKey"] = ApiKey,
            ["Sana:Silo:HttpAccess:BasicUser"] = "ops",
            ["Sana:Silo:HttpAccess:BasicPassword"] = Password,
        });
        using var http = HttpTo(silo);
        var request = Request(HttpMethod.Get, JobsApi.OpenApiDocumentPath);
        request.Headers.Add("X-Sana-Api-Key", ApiKey);

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = System.Text.Json.JsonDocument.Parse(text).RootElement;
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("apiKey", schemes.GetProperty("apiKey").GetProperty("type").GetString());
        Assert.Equal("header", schemes.GetProperty("apiKey").GetProperty("in").GetString());
        Assert.Equal("X-Sana-Api-Key", schemes.GetProperty("apiKey").GetProperty("name").GetString());
        Assert.Equal("basic", schemes.GetProperty("basic").GetProperty("scheme").GetString());
        Assert.Equal(["apiKey", "basic"], document.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)));
        Assert.DoesNotContain(ApiKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_api_switched_off_its_routes_and_document_are_not_there()
    {
        await using var silo = await TestSilo.StartAsync("api-off", new Dictionary<string, string> { ["Sana:Silo:ApiEnabled"] = "false" });
        using var http = HttpTo(silo);

        using var submit = await PostJsonAsync(http, "/api/jobs", """{"prompt":"p"}""");
        using var document = await http.GetAsync(new Uri(JobsApi.OpenApiDocumentPath, UriKind.Relative));
        using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, submit.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, document.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path) => new(method, path)
    {
        Content = method == HttpMethod.Post && path == "/api/jobs"
            ? new StringContent("""{"job_id":"guarded-1","prompt":"p","count":1,"width":64,"height":64,"steps":1}""", Encoding.UTF8, "application/json")
            : null,
    };

    private static AuthenticationHeaderValue Basic() => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:" + Password)));
}
