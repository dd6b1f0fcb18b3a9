using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;
using Sana.Storage;

namespace Sana.Orleans.Silo.Api;

/// <summary>
/// The job routes' handlers, over the silo's own <see cref="ISanaClient"/> (what a .NET service gets from
/// <c>AddSanaClient</c>) and its <see cref="IImageStore"/>. Errors are thrown (<see cref="JobRequestException"/>,
/// <see cref="ClusterBusyException"/>, <see cref="ApiException"/>) and answered by <see cref="ApiErrorFilter"/>.
/// </summary>
public sealed partial class JobsEndpoints(ISanaClient sana, IImageStore store, ILogger<JobsEndpoints> logger)
{
    /// <summary>
    /// Submits a job: 202 with its status and Location for a new one; 200 with the same for a <c>job_id</c> that already
    /// names this request (submitting is idempotent); the grains' 400 for a bad request, 429 when the cluster is full.
    /// </summary>
    public async Task<IResult> SubmitAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.RequestAborted;
        var submission = await JobRequestReader.ReadAsync(context.Request, cancellationToken).ConfigureAwait(false);
        if (submission.JobId is { } given && string.IsNullOrWhiteSpace(given))
        {
            throw JobRequestReader.BadJobId(given);
        }

        var native = submission.NeedsNativeSize ? await sana.GetNativeSizeAsync(submission.Model, cancellationToken).ConfigureAwait(false) : null;
        var request = submission.ToRequest(native);

        // Whether the id was taken before tells a replay (200) from a new job (202); the grain itself decides whether
        // the replay is the same request. Ids the grains would refuse are not looked up: they cannot name a job.
        var existed = submission.JobId is { } id && ImageKey.ValidateJobId(id) is null
            && (await sana.GetStatusAsync(id, cancellationToken).ConfigureAwait(false)).State != JobState.None;
        var jobId = await sana.SubmitAsync(request, submission.JobId, cancellationToken).ConfigureAwait(false);
        var status = await sana.GetStatusAsync(jobId, cancellationToken).ConfigureAwait(false);
        LogSubmitted(logger, jobId, request.Count, existed);
        context.Response.Headers.Location = JobsApi.JobUrl(jobId);
        return Results.Json(ApiJobStatus.From(status), ApiJson.Options,
            statusCode: existed ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
    }

    public async Task<IResult> GetStatusAsync(string id, CancellationToken cancellationToken)
    {
        var status = await KnownStatusAsync(id, cancellationToken).ConfigureAwait(false);
        return Results.Json(ApiJobStatus.From(status), ApiJson.Options);
    }

    /// <summary>Stops the job; images already stored stay. A finished job is left as it is and its status answered.</summary>
    public async Task<IResult> CancelAsync(string id, CancellationToken cancellationToken)
    {
        EnsureJobIdShape(id);
        var status = await sana.CancelAsync(id, cancellationToken).ConfigureAwait(false);
        if (status.State == JobState.None)
        {
            throw ApiException.UnknownJob(id);
        }

        LogCancelled(logger, id, status.State);
        return Results.Json(ApiJobStatus.From(status), ApiJson.Options);
    }

    public async Task<IResult> GetImagesAsync(string id, CancellationToken cancellationToken)
    {
        var images = await KnownImagesAsync(id, cancellationToken).ConfigureAwait(false);
        return Results.Json(new ApiImageList(id, [.. images.OrderBy(i => i.Index).Select(i => ApiJobImage.From(id, i))]), ApiJson.Options);
    }

    /// <summary>
    /// The stored bytes of one image, read through this silo's image store; its ETag is the content's hash, so a client
    /// that has it already gets 304. A file store holds only its own silo's images: use a blob store behind several silos.
    /// </summary>
    public async Task<IResult> GetImageAsync(string id, int index, CancellationToken cancellationToken)
    {
        var images = await KnownImagesAsync(id, cancellationToken).ConfigureAwait(false);
        var image = images.FirstOrDefault(i => i.Index == index)
            ?? throw new ApiException(StatusCodes.Status404NotFound, "index",
                string.Create(CultureInfo.InvariantCulture, $"index: image {index} of job '{id}' is not stored (yet)"));
        byte[]? bytes;
        try
        {
            bytes = await store.ReadAsync(image.ImageReference, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            bytes = null; // a reference outside this silo's folder: another silo's file store holds it
        }

        if (bytes is null)
        {
            LogImageNotInStore(logger, id, index);
            throw new ApiException(StatusCodes.Status404NotFound, "index", string.Create(CultureInfo.InvariantCulture,
                $"index: image {index} of job '{id}' is not in this silo's image store (a local folder holds only its own silo's images)"));
        }

        var etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 16))}\"");
        return Results.Bytes(bytes, ContentTypeOf(image.ImageReference), entityTag: etag);
    }

    /// <summary>The job's status, or 404 for an id that names no job (one the grains would refuse included).</summary>
    internal async Task<JobStatus> KnownStatusAsync(string id, CancellationToken cancellationToken)
    {
        EnsureJobIdShape(id);
        var status = await sana.GetStatusAsync(id, cancellationToken).ConfigureAwait(false);
        return status.State == JobState.None ? throw ApiException.UnknownJob(id) : status;
    }

    private async Task<IReadOnlyList<JobImage>> KnownImagesAsync(string id, CancellationToken cancellationToken)
    {
        EnsureJobIdShape(id);
        var images = await sana.GetImagesAsync(id, cancellationToken).ConfigureAwait(false);
        if (images.Count == 0)
        {
            await KnownStatusAsync(id, cancellationToken).ConfigureAwait(false);
        }

        return images;
    }

    /// <summary>An id the grains would refuse cannot name a job; it is not looked up (no grain is activated for it).</summary>
    private static void EnsureJobIdShape(string id)
    {
        if (ImageKey.ValidateJobId(id) is not null)
        {
            throw ApiException.UnknownJob(id.Length <= ImageKey.MaxJobIdLength ? id : id[..ImageKey.MaxJobIdLength] + "...");
        }
    }

    internal static string ContentTypeOf(string reference)
    {
        var path = Uri.TryCreate(reference, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri.AbsolutePath : reference;
        return Path.GetExtension(path).ToUpperInvariant() switch
        {
            ".PNG" => "image/png",
            ".JPG" or ".JPEG" => "image/jpeg",
            ".WEBP" => "image/webp",
            _ => "application/octet-stream",
        };
    }
}
