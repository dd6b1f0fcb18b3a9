using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Sana.Orleans.Client;

namespace Sana.Orleans.Silo.Api;

/// <summary>
/// <c>GET /api/jobs/{id}/events</c>: a job's progress as server-sent events, over <see cref="ISanaClient.WatchAsync"/>
/// (which survives the job's silo dying). One <c>image</c> event per stored image (those already stored first; the id
/// is the image's index), then one <c>status</c> event with the job's final status, and the stream ends. A comment line
/// goes out while nothing happens, so proxies do not close a stream whose chunks take minutes. When the client goes
/// away the watch is cancelled at once.
/// </summary>
public sealed partial class JobEventStream(ISanaClient sana, JobsEndpoints jobs, ILogger<JobEventStream> logger)
{
    /// <summary>How long the stream may be silent before a keep-alive comment: under common proxies' 60 s idle timeouts.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    public async Task StreamAsync(HttpContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.RequestAborted;
        await jobs.KnownStatusAsync(id, cancellationToken).ConfigureAwait(false); // 404 before the stream starts
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // nginx: pass events on as they come
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken).ConfigureAwait(false);

        var sent = 0;
        try
        {
            sent = await SendImagesAsync(response, id, cancellationToken).ConfigureAwait(false);
            var status = await sana.GetStatusAsync(id, cancellationToken).ConfigureAwait(false);
            await SendAsync(response, "status", null, JsonSerializer.Serialize(ApiJobStatus.From(status), ApiJson.Options), cancellationToken).ConfigureAwait(false);
            LogStreamEnded(logger, id, sent, status.State);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            LogClientLeft(logger, id, sent);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            // The headers are out: the failure can only be told as an event, and the client reconnects if it wants.
            LogStreamFailed(logger, e, id, sent);
            var error = JsonSerializer.Serialize(new ApiError(null, $"the watch of job '{id}' failed: {e.Message}"), ApiJson.Options);
            try
            {
                await SendAsync(response, "error", null, error, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception write) when (write is OperationCanceledException or IOException)
            {
                LogClientLeft(logger, id, sent);
            }
        }
    }

    /// <summary>Sends each image as the watch yields it, with keep-alives while it waits; returns how many were sent.</summary>
    private async Task<int> SendImagesAsync(HttpResponse response, string id, CancellationToken cancellationToken)
    {
        var images = sana.WatchAsync(id, cancellationToken).GetAsyncEnumerator(cancellationToken);
        Task<bool>? move = null;
        var sent = 0;
        try
        {
            while (true)
            {
                move = images.MoveNextAsync().AsTask();
                if (!await NextAsync(response, move, cancellationToken).ConfigureAwait(false))
                {
                    return sent;
                }

                var progress = images.Current;
                var data = JsonSerializer.Serialize(ApiImageEvent.From(id, progress), ApiJson.Options);
                await SendAsync(response, "image", progress.Image.Index.ToString(CultureInfo.InvariantCulture), data, cancellationToken).ConfigureAwait(false);
                sent++;
            }
        }
        finally
        {
            // An async iterator may not be disposed while a MoveNext is pending; cancelled, that one ends promptly.
            if (move is { IsCompleted: false })
            {
                await ((Task)move).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            await images.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The watch's next step; a keep-alive comment goes out each <see cref="KeepAliveInterval"/> it takes.</summary>
    private static async Task<bool> NextAsync(HttpResponse response, Task<bool> move, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await move.WaitAsync(KeepAliveInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException) when (!move.IsCompleted)
            {
                await response.WriteAsync(": keep-alive\n\n", cancellationToken).ConfigureAwait(false);
                await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One event; its data is one line of JSON, so it needs a single <c>data:</c> field.</summary>
    private static async Task SendAsync(HttpResponse response, string name, string? id, string data, CancellationToken cancellationToken)
    {
        var text = id is null ? $"event: {name}\ndata: {data}\n\n" : $"event: {name}\nid: {id}\ndata: {data}\n\n";
        await response.WriteAsync(text, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
