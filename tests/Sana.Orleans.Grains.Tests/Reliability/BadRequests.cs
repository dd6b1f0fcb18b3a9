using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>
/// An oracle for requests written from the documented limits, independent of the validator: which fields of a request
/// are out of bounds for the tiny model (pixel factor 4, 3 transformer blocks) with the default job limits.
/// </summary>
public static class BadRequests
{
    public const int PixelFactor = 4;
    public const int Layers = 3;
    public const int MaxSide = 8192;
    public const int MaxCount = 100_000;

    public static ImageJobRequest Valid => new() { Prompt = "a quiet lake", Count = 1, Width = 32, Height = 32, Steps = 1, GuidanceScale = 1, PagLayers = [] };

    /// <summary>Named cases of bad requests and the field each must be rejected for.</summary>
    public static IEnumerable<(string Case, ImageJobRequest Request, string Field)> Cases()
    {
        var v = Valid;
        yield return ("negative count", v with { Count = -3 }, "count");
        yield return ("zero count", v with { Count = 0 }, "count");
        yield return ("huge count", v with { Count = int.MaxValue }, "count");
        yield return ("width not a multiple of the factor", v with { Width = 33 }, "width");
        yield return ("height not a multiple of the factor", v with { Height = 30 }, "height");
        yield return ("width beyond the limit", v with { Width = MaxSide + PixelFactor }, "width");
        yield return ("negative height", v with { Height = -32 }, "height");
        yield return ("zero steps", v with { Steps = 0 }, "steps");
        yield return ("huge steps", v with { Steps = 1_000_000 }, "steps");
        yield return ("NaN guidance", v with { GuidanceScale = double.NaN }, "guidance_scale");
        yield return ("infinite guidance", v with { GuidanceScale = double.PositiveInfinity }, "guidance_scale");
        yield return ("negative infinite PAG", v with { PagScale = double.NegativeInfinity }, "pag_scale");
        yield return ("NaN flow shift", v with { FlowShift = double.NaN }, "flow_shift");
        yield return ("empty prompt", v with { Prompt = "" }, "prompt");
        yield return ("blank prompt", v with { Prompt = " \t\n" }, "prompt");
        yield return ("enormous prompt", v with { Prompt = new string('a', 20_001) }, "prompt");
        yield return ("lone surrogate in prompt", v with { Prompt = "a \uD800 b" }, "prompt");
        yield return ("NUL in negative prompt", v with { NegativePrompt = "x\0y" }, "negative_prompt");
        yield return ("unknown model", v with { Model = "sana-9000" }, "model");
        yield return ("unknown sampler", v with { Sampler = (JobSampler)7 }, "scheduler");
        yield return ("PAG without layers", v with { PagScale = 2, PagLayers = [] }, "pag_layers");
        yield return ("PAG layer out of range", v with { PagLayers = [Layers] }, "pag_layers");
        yield return ("PAG layer twice", v with { PagLayers = [0, 0] }, "pag_layers");
    }

    /// <summary>Every field of <paramref name="r"/> out of bounds; empty when the request is valid.</summary>
    public static HashSet<string> Problems(ImageJobRequest r)
    {
        var problems = new HashSet<string>(StringComparer.Ordinal);
        if (BadText(r.Prompt) || string.IsNullOrWhiteSpace(r.Prompt))
        {
            problems.Add("prompt");
        }

        if (BadText(r.NegativePrompt))
        {
            problems.Add("negative_prompt");
        }

        if (r.Count < 1 || r.Count > MaxCount)
        {
            problems.Add("count");
        }

        if (BadSide(r.Width))
        {
            problems.Add("width");
        }

        if (BadSide(r.Height))
        {
            problems.Add("height");
        }

        if (r.Steps is < 1 or > 1000)
        {
            problems.Add("steps");
        }

        if (!double.IsFinite(r.GuidanceScale) || r.GuidanceScale is < 0 or > 100)
        {
            problems.Add("guidance_scale");
        }

        if (!double.IsFinite(r.PagScale) || r.PagScale is < 0 or > 100)
        {
            problems.Add("pag_scale");
        }

        if (r.FlowShift is { } shift && (!double.IsFinite(shift) || shift <= 0 || shift > 100))
        {
            problems.Add("flow_shift");
        }

        if (!Enum.IsDefined(r.Sampler))
        {
            problems.Add("scheduler");
        }

        if ((r.PagScale > 0 && r.PagLayers.Length == 0) || r.PagLayers.Any(l => l is < 0 or >= Layers) || r.PagLayers.Distinct().Count() != r.PagLayers.Length)
        {
            problems.Add("pag_layers");
        }

        if (r.Model is not null && r.Model != "tiny-sana")
        {
            problems.Add("model");
        }

        return problems;
    }

    private static bool BadSide(int side) => side < PixelFactor || side > MaxSide || side % PixelFactor != 0;

    private static bool BadText(string text)
    {
        if (text.Length > 20_000 || text.Contains('\0', StringComparison.Ordinal))
        {
            return true;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }
}
