using Microsoft.AspNetCore.Http;

namespace Sana.Orleans.Silo.Api;

/// <summary>
/// An answer other than success that is not the grains' to give (unknown job, body too large, not JSON): thrown by the
/// handlers and turned into an <see cref="ApiError"/> response by <see cref="ApiErrorFilter"/>, like the grains' errors.
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException() { }

    public ApiException(string message) : base(message) { }

    public ApiException(string message, Exception innerException) : base(message, innerException) { }

    public ApiException(int statusCode, string? field, string message) : base(message) => (StatusCode, Field) = (statusCode, field);

    public int StatusCode { get; } = StatusCodes.Status400BadRequest;

    public string? Field { get; }

    public static ApiException UnknownJob(string jobId) =>
        new(StatusCodes.Status404NotFound, "job_id", $"job_id: '{jobId}' is not a job of this cluster");
}
