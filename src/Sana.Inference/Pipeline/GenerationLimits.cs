using System.Globalization;

namespace Sana.Inference.Pipeline;

/// <summary>
/// The bounds a request must respect, checked in one place so that the job grain (before any GPU is touched) and
/// the pipeline (before any session runs) reject the same inputs with the same messages.
/// </summary>
public static class GenerationLimits
{
    public const int MaxSide = 8192;
    public const int MaxSteps = 1000;
    public const double MaxGuidanceScale = 100;
    public const double MaxPagScale = 100;
    public const int MaxPromptChars = 20_000;

    /// <summary>Throws <see cref="GenerationRequestException"/> naming the first field out of bounds.</summary>
    public static void Validate(GenerationSettings settings, ModelDescription model)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(model);
        var inv = CultureInfo.InvariantCulture;
        CheckText("prompt", settings.Prompt);
        CheckText("negative_prompt", settings.NegativePrompt);
        CheckSide("width", settings.Width, model.PixelFactor);
        CheckSide("height", settings.Height, model.PixelFactor);
        if (settings.Steps is < 1 or > MaxSteps)
        {
            throw new GenerationRequestException("steps", string.Create(inv, $"{settings.Steps} is outside 1..{MaxSteps}"));
        }

        CheckScale("guidance_scale", settings.GuidanceScale, MaxGuidanceScale);
        CheckScale("pag_scale", settings.PagScale, MaxPagScale);
        if (settings.FlowShift is { } shift && (!double.IsFinite(shift) || shift <= 0 || shift > 100))
        {
            throw new GenerationRequestException("flow_shift", string.Create(inv, $"{shift} must be a finite number in (0, 100]"));
        }

        if (!Enum.IsDefined(settings.Sampler))
        {
            throw new GenerationRequestException("scheduler", $"'{settings.Sampler}' is not dpm or euler");
        }

        if (settings.PagLayers is null)
        {
            throw new GenerationRequestException("pag_layers", "must be a list (it may be empty when pag_scale is 0)");
        }

        if (settings.PagScale > 0 && settings.PagLayers.Count == 0)
        {
            throw new GenerationRequestException("pag_layers", "PAG is on (pag_scale > 0) but no layer is chosen");
        }

        var seen = new HashSet<int>();
        foreach (var layer in settings.PagLayers)
        {
            if (layer < 0 || layer >= model.NumLayers)
            {
                throw new GenerationRequestException("pag_layers", string.Create(inv, $"layer {layer} is outside 0..{model.NumLayers - 1} (the model has {model.NumLayers} transformer blocks)"));
            }

            if (!seen.Add(layer))
            {
                throw new GenerationRequestException("pag_layers", string.Create(inv, $"layer {layer} is listed twice"));
            }
        }
    }

    private static void CheckText(string field, string? text)
    {
        if (text is null)
        {
            throw new GenerationRequestException(field, "is missing");
        }

        if (text.Length > MaxPromptChars)
        {
            throw new GenerationRequestException(field, string.Create(CultureInfo.InvariantCulture, $"{text.Length} characters, the limit is {MaxPromptChars}"));
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new GenerationRequestException(field, string.Create(CultureInfo.InvariantCulture, $"invalid Unicode: a lone surrogate at position {i}"));
            }
            else if (c == '\0')
            {
                throw new GenerationRequestException(field, string.Create(CultureInfo.InvariantCulture, $"contains a NUL character at position {i}"));
            }
        }
    }

    private static void CheckSide(string field, int value, int factor)
    {
        if (value < factor || value > MaxSide || value % factor != 0)
        {
            throw new GenerationRequestException(field, string.Create(CultureInfo.InvariantCulture,
                $"{value} must be a multiple of {factor} (the model's pixel factor) between {factor} and {MaxSide}"));
        }
    }

    private static void CheckScale(string field, double value, double max)
    {
        if (!double.IsFinite(value) || value < 0 || value > max)
        {
            throw new GenerationRequestException(field, string.Create(CultureInfo.InvariantCulture, $"{value} must be a finite number in 0..{max}"));
        }
    }
}
