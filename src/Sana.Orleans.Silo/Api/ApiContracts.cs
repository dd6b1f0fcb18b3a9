using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sana.Orleans.Client;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Silo.Api;

// Every property names itself in snake_case, and every type says numbers are numbers, by attribute rather than through
// serializer options: the OpenAPI document is generated with the host's JSON options (shared with the dashboard, web
// defaults, which would also read numbers from strings), so only attributes keep the document and the bodies in step.

/// <summary>
/// The body of <c>POST /api/jobs</c> as the OpenAPI document describes it: <see cref="ImageJobRequest"/>'s fields in
/// snake_case plus <c>job_id</c>. The API reads the body with <see cref="JobRequestReader"/>, not by binding this type,
/// so that a bad value is reported with its field; a test keeps the two in step.
/// </summary>
[Description("N images of one prompt, or of each of many (items). Image i uses seed seed + i (64-bit, wrapping); image i of an item, the item's seed + i.")]
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed class ApiJobRequest
{
    [JsonPropertyName("job_id"), Description("Makes the submission idempotent: the same id and request again is the same job. 1..128 of A-Z a-z 0-9 - _ . (not starting with '.'); left out, the silo makes one.")]
    public string? JobId { get; init; }

    [JsonPropertyName("prompt"), Description("What to draw (at most 20000 characters); required unless items are given.")]
    public string? Prompt { get; init; }

    [JsonPropertyName("negative_prompt"), Description("What to steer away from; default empty.")]
    public string? NegativePrompt { get; init; }

    [JsonPropertyName("count"), JsonNumberHandling(JsonNumberHandling.Strict), Description("Images to make; default 1.")]
    public int? Count { get; init; }

    [JsonPropertyName("width"), JsonNumberHandling(JsonNumberHandling.Strict), Description("Pixels, a multiple of the model's pixel factor (32 for Sana); default the model's native size.")]
    public int? Width { get; init; }

    [JsonPropertyName("height"), JsonNumberHandling(JsonNumberHandling.Strict), Description("Pixels, a multiple of the model's pixel factor; default the model's native size.")]
    public int? Height { get; init; }

    [JsonPropertyName("steps"), JsonNumberHandling(JsonNumberHandling.Strict), Description("Denoising steps, 1..1000; default 20.")]
    public int? Steps { get; init; }

    [JsonPropertyName("guidance_scale"), JsonNumberHandling(JsonNumberHandling.Strict), Description("Classifier-free guidance, 0..100 (1 turns it off); default 4.5.")]
    public double? GuidanceScale { get; init; }

    [JsonPropertyName("pag_scale"), JsonNumberHandling(JsonNumberHandling.Strict), Description("Perturbed-attention guidance, 0..100 (0, the default, turns it off).")]
    public double? PagScale { get; init; }

    [JsonPropertyName("pag_layers"), Description("Transformer blocks PAG perturbs; default [0].")]
    public IReadOnlyList<int>? PagLayers { get; init; }

    [JsonPropertyName("scheduler"), Description("dpm (DPM-Solver++, the default) or euler (flow-match Euler).")]
    public string? Scheduler { get; init; }

    [JsonPropertyName("flow_shift"), JsonNumberHandling(JsonNumberHandling.Strict), Description("The scheduler's flow shift, (0, 100]; default the model's.")]
    public double? FlowShift { get; init; }

    [JsonPropertyName("seed"), JsonNumberHandling(JsonNumberHandling.AllowReadingFromString), Description("Seed of image 0, 0..18446744073709551615; a number, or a string of digits for clients whose numbers are doubles. Default 0.")]
    public ulong? Seed { get; init; }

    [JsonPropertyName("model"), Description("The model to run; default whatever model the cluster's GPUs serve.")]
    public string? Model { get; init; }

    [JsonPropertyName("items"), Description("A job of many prompts (up to Sana:Grains:MaxItemsPerJob), all with this request's size, steps, scheduler, guidance, PAG and model; prompt and negative_prompt are then left out. The job's images are numbered item after item.")]
    public IReadOnlyList<ApiJobItem>? Items { get; init; }
}

/// <summary>One prompt of a job of many: <see cref="JobItem"/> in snake_case.</summary>
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed class ApiJobItem
{
    [Required, JsonPropertyName("prompt"), Description("What to draw (at most 20000 characters).")]
    public required string Prompt { get; init; }

    [JsonPropertyName("negative_prompt"), Description("What to steer away from; default empty.")]
    public string? NegativePrompt { get; init; }

    [JsonPropertyName("count"), JsonNumberHandling(JsonNumberHandling.Strict), Description("Images of this prompt; default 1.")]
    public int? Count { get; init; }

    [JsonPropertyName("seed"), JsonNumberHandling(JsonNumberHandling.AllowReadingFromString), Description("Seed of the item's image 0; default 0.")]
    public ulong? Seed { get; init; }
}

/// <summary>Where a job is in its life, as the API spells it (<see cref="JobState"/> without None: an unknown id is a 404).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ApiJobState>))]
public enum ApiJobState
{
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
    [JsonStringEnumMemberName("failed")] Failed,
}

/// <summary>A job's progress (<see cref="JobStatus"/>): what every job route but the image routes answers.</summary>
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed record ApiJobStatus(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("state")] ApiJobState State,
    [property: JsonPropertyName("total"), Description("Images the job makes.")] int Total,
    [property: JsonPropertyName("completed"), Description("Images stored so far.")] int Completed,
    [property: JsonPropertyName("in_flight"), Description("Images on GPUs now.")] int InFlight,
    [property: JsonPropertyName("gpus_busy")] int GpusBusy,
    [property: JsonPropertyName("error"), Description("Why the job failed; null otherwise.")] string? Error,
    [property: JsonPropertyName("submitted_at")] DateTimeOffset? SubmittedAt,
    [property: JsonPropertyName("finished_at")] DateTimeOffset? FinishedAt)
{
    public static ApiJobStatus From(JobStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var state = status.State switch
        {
            JobState.Completed => ApiJobState.Completed,
            JobState.Cancelled => ApiJobState.Cancelled,
            JobState.Failed => ApiJobState.Failed,
            _ => ApiJobState.Running,
        };
        return new ApiJobStatus(status.JobId, state, status.Total, status.Completed, status.InFlight, status.GpusBusy,
            status.Error, status.SubmittedAt, status.FinishedAt);
    }
}

/// <summary>One stored image: its index and seed, the GPU that made it, the image store's reference and its URL here.</summary>
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed record ApiJobImage(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("seed")] ulong Seed,
    [property: JsonPropertyName("gpu")] string Gpu,
    [property: JsonPropertyName("reference"), Description("Where the image store keeps it (a file path or a blob URI).")] string Reference,
    [property: JsonPropertyName("url"), Description("This API's route for the image's bytes.")] string Url,
    [property: JsonPropertyName("item"), Description("The item the image belongs to (0 for a job of one prompt).")] int Item,
    [property: JsonPropertyName("index_in_item"), Description("The image's index within its item.")] int IndexInItem,
    [property: JsonPropertyName("sha256"), Description("SHA-256 of the stored file, lowercase hex.")] string? Sha256)
{
    public static ApiJobImage From(string jobId, JobImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new ApiJobImage(image.Index, image.Seed, image.GpuId, image.ImageReference, JobsApi.ImageUrl(jobId, image.Index),
            image.Item, image.IndexInItem, image.Sha256);
    }
}

/// <summary>What <c>GET /api/jobs/{id}/images</c> answers: every image stored so far, by index.</summary>
public sealed record ApiImageList(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("images")] IReadOnlyList<ApiJobImage> Images);

/// <summary>The data of an <c>image</c> server-sent event: one stored image and how far the job has come.</summary>
[JsonNumberHandling(JsonNumberHandling.Strict)]
public sealed record ApiImageEvent(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("seed")] ulong Seed,
    [property: JsonPropertyName("gpu")] string Gpu,
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("completed"), Description("Images this stream has reported, this one included.")] int Completed,
    [property: JsonPropertyName("total")] int Total)
{
    public static ApiImageEvent From(string jobId, JobProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var image = progress.Image;
        return new ApiImageEvent(image.Index, image.Seed, image.GpuId, image.ImageReference, JobsApi.ImageUrl(jobId, image.Index),
            progress.Completed, progress.Total);
    }
}

/// <summary>
/// Every error the API answers (400, 404, 413, 415, 429, 503): the field at fault where there is one, and the message,
/// which for a request the grains reject is exactly their <see cref="JobRequestException"/>'s ("width: 1000 must be ...").
/// </summary>
public sealed record ApiError(
    [property: JsonPropertyName("field")] string? Field,
    [property: JsonPropertyName("error")] string Error);

/// <summary>The API's serializer options: web defaults; names and enum spellings come from the attributes above.</summary>
internal static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
