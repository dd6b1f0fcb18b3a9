using System.Globalization;
using Sana.Inference.Pipeline;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Jobs;

/// <summary>
/// Checks a request before anything is stored: the job-level fields here, the image settings through the inference
/// library's <see cref="GenerationLimits"/> against the model the cluster serves, so the job and the GPU reject the same
/// inputs with the same messages. Returns the model the job will run on.
/// </summary>
internal static class JobRequestValidator
{
    public const int MaxJobIdLength = 128;

    public static string? Validate(string jobId, ImageJobRequest? request, IReadOnlyList<GpuDescriptor> gpus, SanaGrainsOptions options)
    {
        ValidateJobId(jobId);
        if (request is null)
        {
            throw new JobRequestException("request", "is missing");
        }

        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            throw new JobRequestException("prompt", "is empty");
        }

        // A job larger than the whole queue could never be admitted: a bad request, not "busy".
        var maxCount = (int)Math.Min(options.MaxImagesPerJob, options.MaxQueuedImages);
        if (request.Count < 1 || request.Count > maxCount)
        {
            throw new JobRequestException("count", string.Create(CultureInfo.InvariantCulture,
                $"{request.Count} is outside 1..{maxCount}"));
        }

        if (request.PagLayers is null)
        {
            throw new JobRequestException("pag_layers", "must be a list (it may be empty when pag_scale is 0)");
        }

        gpus = [.. gpus.Where(g => g.Health == GpuHealth.Ready)];
        var served = gpus.Select(g => g.ModelName).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        GpuDescriptor? model;
        if (request.Model is { } wanted)
        {
            model = gpus.FirstOrDefault(g => string.Equals(g.ModelName, wanted, StringComparison.Ordinal))
                ?? throw new JobRequestException("model", $"'{wanted}' is not served by any GPU (served: {(served.Length == 0 ? "none yet" : string.Join(", ", served))})");
        }
        else
        {
            model = served.Length == 0 ? null : gpus.First(g => g.ModelName == served[0]);
        }

        var description = model is null
            ? new ModelDescription("", 0, options.DefaultPixelFactor, int.MaxValue, "")
            : new ModelDescription(model.ModelName, 0, model.PixelFactor, model.NumLayers, model.Device);
        try
        {
            GenerationLimits.Validate(request.ToSettings(), description);
        }
        catch (GenerationRequestException e)
        {
            throw new JobRequestException(e.Message) { Field = e.Field };
        }

        return model?.ModelName;
    }

    private static void ValidateJobId(string jobId)
    {
        if (string.IsNullOrEmpty(jobId) || jobId.Length > MaxJobIdLength || jobId[0] == '.'
            || !jobId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new JobRequestException("job_id", string.Create(CultureInfo.InvariantCulture,
                $"'{jobId}' must be 1..{MaxJobIdLength} characters of A-Z, a-z, 0-9, '-', '_', '.' (not starting with '.')"));
        }
    }
}
