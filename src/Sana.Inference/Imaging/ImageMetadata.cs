using System.Globalization;
using Sana.Inference.Pipeline;

namespace Sana.Inference.Imaging;

/// <summary>
/// What an image file records about how it was made, so that anyone holding the file can make it again:
/// written as PNG text chunks (one keyword each, plus a single "parameters" line for tools that read only that).
/// </summary>
public sealed record ImageMetadata(
    string Prompt,
    string NegativePrompt,
    ulong Seed,
    int Index,
    int Steps,
    double GuidanceScale,
    double PagScale,
    IReadOnlyList<int> PagLayers,
    string Scheduler,
    int Width,
    int Height,
    string Model)
{
    public static ImageMetadata From(GenerationSettings settings, GeneratedImage image, string model) => new(
        settings.Prompt,
        settings.NegativePrompt,
        image.Seed,
        image.Index,
        settings.Steps,
        settings.GuidanceScale,
        settings.PagScale,
        settings.PagLayers,
        settings.Sampler == SamplerKind.DpmSolver ? "dpm" : "euler",
        image.Width,
        image.Height,
        model);

    /// <summary>Keyword/value pairs in a fixed order (the PNG's text chunks).</summary>
    public IEnumerable<KeyValuePair<string, string>> ToTextEntries()
    {
        var inv = CultureInfo.InvariantCulture;
        yield return new("prompt", Prompt);
        yield return new("negative_prompt", NegativePrompt);
        yield return new("seed", Seed.ToString(inv));
        yield return new("index", Index.ToString(inv));
        yield return new("steps", Steps.ToString(inv));
        yield return new("guidance_scale", GuidanceScale.ToString("R", inv));
        yield return new("pag_scale", PagScale.ToString("R", inv));
        if (PagScale > 0)
        {
            // Only with PAG on: with it off the layers played no part in the image.
            yield return new("pag_layers", string.Join(",", PagLayers.Select(l => l.ToString(inv))));
        }

        yield return new("scheduler", Scheduler);
        yield return new("size", string.Create(inv, $"{Width}x{Height}"));
        yield return new("model", Model);
        yield return new("parameters", string.Create(inv,
            $"{Prompt} | negative: {NegativePrompt} | seed: {Seed} | index: {Index} | steps: {Steps} | guidance: {GuidanceScale:R} | pag: {PagScale:R} | scheduler: {Scheduler} | size: {Width}x{Height} | model: {Model}"));
    }
}
