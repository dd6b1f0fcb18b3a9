using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Api;

/// <summary>
/// The silo's job API for services that are not .NET (<c>Sana:Silo:ApiEnabled</c>): submit, status, images, cancel and
/// progress as server-sent events under <see cref="JobsPath"/>, and its OpenAPI document at <see cref="OpenApiPath"/>.
/// It is a thin HTTP face of <see cref="Client.ISanaClient"/>: the same requests, validation, errors and idempotent
/// job ids as a .NET client, on the silo's HTTP port behind the same access check as the dashboard.
/// </summary>
public static class JobsApi
{
    public const string JobsPath = "/api/jobs";
    public const string DocumentName = "v1";
    public const string OpenApiPath = "/openapi/{documentName}.json";

    /// <summary>The OpenAPI document's route for <see cref="DocumentName"/>.</summary>
    public static string OpenApiDocumentPath => OpenApiPath.Replace("{documentName}", DocumentName, StringComparison.Ordinal);

    public static string JobUrl(string jobId) => $"{JobsPath}/{Uri.EscapeDataString(jobId)}";

    public static string ImageUrl(string jobId, int index) => $"{JobUrl(jobId)}/images/{index}";

    /// <summary>The handlers and the OpenAPI document, which describes the job routes only (not the dashboard's or /health).</summary>
    public static void AddServices(IServiceCollection services, HttpAccessOptions access)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(access);
        services.TryAddSingleton<JobsEndpoints>();
        services.TryAddSingleton<JobEventStream>();
        services.TryAddSingleton<ApiErrorFilter>();
        services.AddOpenApi(DocumentName, o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith(JobsPath[1..], StringComparison.Ordinal) == true;
            o.AddSchemaTransformer(JobsApiDocument.HonourStrictNumbers);
            o.AddDocumentTransformer((document, _, _) =>
            {
                JobsApiDocument.Describe(document, access);
                return Task.CompletedTask;
            });
        });
    }

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var jobs = app.MapGroup(JobsPath).AddEndpointFilter<ApiErrorFilter>().WithTags("jobs");
        jobs.MapPost("", (JobsEndpoints api, HttpContext context) => api.SubmitAsync(context))
            .WithName("SubmitJob")
            .WithSummary("Submit a job (idempotent with job_id)")
            .WithDescription("202 with the job's status and its Location for a new job; 200 with the same when job_id already names this request. "
                + "400 names the field at fault with the cluster's own message, and nothing runs; 429 (Retry-After) when the cluster's queue is full.")
            .AddOpenApiOperationTransformer(JobsApiDocument.DescribeSubmitBody)
            .Produces<ApiJobStatus>(StatusCodes.Status202Accepted)
            .Produces<ApiJobStatus>(StatusCodes.Status200OK)
            .Produces<ApiError>(StatusCodes.Status400BadRequest)
            .Produces<ApiError>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ApiError>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ApiError>(StatusCodes.Status429TooManyRequests)
            .Produces<ApiError>(StatusCodes.Status503ServiceUnavailable);
        jobs.MapGet("{id}", (JobsEndpoints api, string id, CancellationToken cancellationToken) => api.GetStatusAsync(id, cancellationToken))
            .WithName("GetJob").WithSummary("A job's status")
            .Produces<ApiJobStatus>().Produces<ApiError>(StatusCodes.Status404NotFound);
        jobs.MapDelete("{id}", (JobsEndpoints api, string id, CancellationToken cancellationToken) => api.CancelAsync(id, cancellationToken))
            .WithName("DeleteJob").WithSummary("Cancel a job (as POST .../cancel); its stored images stay")
            .Produces<ApiJobStatus>().Produces<ApiError>(StatusCodes.Status404NotFound);
        jobs.MapPost("{id}/cancel", (JobsEndpoints api, string id, CancellationToken cancellationToken) => api.CancelAsync(id, cancellationToken))
            .WithName("CancelJob").WithSummary("Cancel a job; its stored images stay, a finished job is left as it is")
            .Produces<ApiJobStatus>().Produces<ApiError>(StatusCodes.Status404NotFound);
        jobs.MapGet("{id}/images", (JobsEndpoints api, string id, CancellationToken cancellationToken) => api.GetImagesAsync(id, cancellationToken))
            .WithName("ListJobImages").WithSummary("Every image the job has stored so far, by index")
            .Produces<ApiImageList>().Produces<ApiError>(StatusCodes.Status404NotFound);
        jobs.MapGet("{id}/images/{index:int}", (JobsEndpoints api, string id, int index, CancellationToken cancellationToken) => api.GetImageAsync(id, index, cancellationToken))
            .WithName("GetJobImage").WithSummary("One stored image's bytes (PNG), from this silo's image store; ETag is its hash")
            .Produces<Stream>(StatusCodes.Status200OK, "image/png").Produces(StatusCodes.Status304NotModified)
            .Produces<ApiError>(StatusCodes.Status404NotFound);
        jobs.MapGet("{id}/events", (JobEventStream events, HttpContext context, string id) => events.StreamAsync(context, id))
            .WithName("WatchJob").WithSummary("Progress as server-sent events")
            .WithDescription("text/event-stream: one 'image' event per stored image (id: its index; data: ApiImageEvent as JSON), those already "
                + "stored first, then one 'status' event (data: ApiJobStatus) and the end of the stream. ': keep-alive' comments while idle; "
                + "an 'error' event (data: ApiError) if the watch fails. Reconnecting replays every stored image.")
            .Produces<ApiImageEvent>(StatusCodes.Status200OK, "text/event-stream")
            .Produces<ApiError>(StatusCodes.Status404NotFound);
        app.MapOpenApi(OpenApiPath);
    }
}
