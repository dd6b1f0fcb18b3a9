using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sana.Orleans.Gpus;

namespace Sana.Orleans.Silo.Tests;

/// <summary>One server-sent event as a client reads it off the wire.</summary>
public sealed record ServerSentEvent(string Event, string? Id, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();
}

/// <summary>
/// What the job API tests do over real HTTP: post JSON, read a JSON answer, read an error body, and read a
/// text/event-stream to its end the way a browser's EventSource parses it (comments skipped).
/// </summary>
public static class ApiHttp
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static async Task WaitForGpusAsync(TestSilo silo, int count = 2) =>
        await silo.App.Services.GetRequiredService<IGrainFactory>().GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key)
            .WaitForGpus(count).WaitAsync(Bound);

    public static HttpClient HttpTo(TestSilo silo) => new() { BaseAddress = silo.HttpAddress, Timeout = Bound };

    public static async Task<HttpResponseMessage> PostJsonAsync(HttpClient http, string path, string json) =>
        await http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<JsonElement> JsonOf(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient http, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await JsonOf(response);
        Assert.True(expected == response.StatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>The (field, error) of an error answer, after checking its status.</summary>
    public static async Task<(string? Field, string Error)> ErrorOf(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await JsonOf(response);
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        var field = body.GetProperty("field");
        return (field.ValueKind == JsonValueKind.Null ? null : field.GetString(), body.GetProperty("error").GetString()!);
    }

    /// <summary>Opens a job's event stream (headers only: the body is read as it comes).</summary>
    public static async Task<HttpResponseMessage> OpenEventsAsync(HttpClient http, string jobId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/jobs/{jobId}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return response;
    }

    /// <summary>Every event until the server ends the stream.</summary>
    public static async Task<IReadOnlyList<ServerSentEvent>> ReadEventsAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        var events = new List<ServerSentEvent>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        string? name = null, id = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    events.Add(new ServerSentEvent(name ?? "message", id, data.ToString()));
                }

                (name, id) = (null, null);
                data.Clear();
            }
            else if (line[0] != ':')
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var (key, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' '));
                switch (key)
                {
                    case "event": name = value; break;
                    case "id": id = value; break;
                    case "data": data.Append(data.Length > 0 ? "\n" : "").Append(value); break;
                }
            }
        }

        return events;
    }

    /// <summary>Width and height from a PNG's IHDR chunk.</summary>
    public static (int Width, int Height) PngSize(byte[] png) =>
        (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));

    public static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
}
