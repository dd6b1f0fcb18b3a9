using System.Buffers;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Silo.Api;

/// <summary>
/// Turns what the job routes throw into <see cref="ApiError"/> answers, in one place: the grains' request errors are 400
/// with their field and message unchanged, a full cluster is 429 with Retry-After, <see cref="ApiException"/> its own
/// status, and a cluster that does not answer (a silo gone, a call timed out) 503, which a client may retry.
/// </summary>
public sealed partial class ApiErrorFilter(ILogger<ApiErrorFilter> logger) : IEndpointFilter
{
    /// <summary>What a 503 asks the client to wait: about the time membership takes to route around a dead silo.</summary>
    public static readonly TimeSpan UnavailableRetryAfter = TimeSpan.FromSeconds(5);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (JobRequestException e)
        {
            return Answer(http, StatusCodes.Status400BadRequest, e.Field ?? FieldOf(e.Message), e.Message, null);
        }
        catch (ClusterBusyException e)
        {
            return Answer(http, StatusCodes.Status429TooManyRequests, null, e.Message, e.RetryAfter);
        }
        catch (ApiException e)
        {
            return Answer(http, e.StatusCode, e.Field, e.Message, null);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException && !http.RequestAborted.IsCancellationRequested && !http.Response.HasStarted)
        {
            LogUnavailable(logger, e, http.Request.Method, http.Request.Path);
            return Answer(http, StatusCodes.Status503ServiceUnavailable, null, $"the cluster did not answer: {e.Message}", UnavailableRetryAfter);
        }
    }

    private IResult Answer(HttpContext http, int statusCode, string? field, string error, TimeSpan? retryAfter)
    {
        LogRejected(logger, http.Request.Method, http.Request.Path, statusCode, error);
        if (retryAfter is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return Results.Json(new ApiError(field, error), ApiJson.Options, statusCode: statusCode);
    }

    private static readonly SearchValues<char> FieldCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz_");

    /// <summary>"width: ..." names its field even where an exception was made from the message alone.</summary>
    private static string? FieldOf(string message)
    {
        var colon = message.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && message.AsSpan(0, colon).IndexOfAnyExcept(FieldCharacters) < 0 ? message[..colon] : null;
    }
}
