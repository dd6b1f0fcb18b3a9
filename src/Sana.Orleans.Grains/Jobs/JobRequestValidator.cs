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

        // A job larger than the whole queue could never be admitted: a bad request, not "busy".
        var maxCount = (int)Math.Min(options.MaxImagesPerJob, options.MaxQueuedImages);
        if (request.Items is { } items)
        {
            ValidateItems(request, items, maxCount, options);
        }
        else
        {
            if (string.IsNullOrWhiteSpace(request.Prompt))
            {
                throw new JobRequestException("prompt", "is empty");
            }

            if (request.Count < 1 || request.Count > maxCount)
            {
                throw new JobRequestException("count", string.Create(CultureInfo.InvariantCulture,
                    $"{request.Count} is outside 1..{maxCount}"));
            }
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
        var layout = new JobItemLayout(request);
        for (var k = 0; k < layout.ItemCount; k++)
        {
            try
            {
                GenerationLimits.Validate(layout.RequestOf(k).ToSettings(), description);
            }
            catch (GenerationRequestException e)
            {
                // An item's own text is named as the item's; the shared settings keep their names.
                var itemField = request.Items is not null && e.Field is "prompt" or "negative_prompt";
                throw itemField
                    ? new JobRequestException($"items[{k}].{e.Message}") { Field = $"items[{k}].{e.Field}" }
                    : new JobRequestException(e.Message) { Field = e.Field };
            }
        }

        return model?.ModelName;
    }

    /// <summary>A job of many prompts: how many items, each item's prompt and count, and their total.</summary>
    private static void ValidateItems(ImageJobRequest request, JobItem[] items, int maxCount, SanaGrainsOptions options)
    {
        var inv = CultureInfo.InvariantCulture;
        if (items.Length < 1 || items.Length > options.MaxItemsPerJob)
        {
            throw new JobRequestException("items", string.Create(inv, $"{items.Length} items is outside 1..{options.MaxItemsPerJob}"));
        }

        if (request.Prompt.Length > 0 || request.NegativePrompt.Length > 0)
        {
            throw new JobRequestException("prompt", "must be empty when items are given (each item has its own prompt and negative prompt)");
        }

        long total = 0, text = 0;
        for (var k = 0; k < items.Length; k++)
        {
            var item = items[k] ?? throw new JobRequestException($"items[{k}]", "is missing");
            if (string.IsNullOrWhiteSpace(item.Prompt))
            {
                throw new JobRequestException($"items[{k}].prompt", "is empty");
            }

            if (item.Count < 1 || item.Count > maxCount)
            {
                throw new JobRequestException($"items[{k}].count", string.Create(inv, $"{item.Count} is outside 1..{maxCount}"));
            }

            total += item.Count;
            text += item.Prompt.Length + (item.NegativePrompt?.Length ?? 0);
        }

        if (total > maxCount)
        {
            throw new JobRequestException("count", string.Create(inv, $"the items' {total} images together are outside 1..{maxCount}"));
        }

        // The whole request lives in the job's stored state and in every status: its text is bounded.
        if (text > options.MaxItemTextChars)
        {
            throw new JobRequestException("items", string.Create(inv, $"{text} characters of prompts together are over {options.MaxItemTextChars}"));
        }
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
