using System.Text.Json;
using Sana.Inference.Pipeline;
using Sana.Inference.Tests.Fixtures;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>One recorded diffusers run from reference/cases.json, turned into our request.</summary>
internal sealed record ReferenceCase(string Name, GenerationSettings Settings, ulong[] Seeds, JsonElement Files)
{
    private static readonly Lazy<IReadOnlyDictionary<string, ReferenceCase>> All = new(Load);

    public static IEnumerable<string> Names => All.Value.Keys;

    public static ReferenceCase Get(string name) => All.Value[name];

    public string File(string key) => FixturePaths.RequireReference(Files.GetProperty(key).GetString()!);

    public IEnumerable<string> ImagePngs => Files.GetProperty("images_png").EnumerateArray().Select(e => FixturePaths.RequireReference(e.GetString()!));

    public bool HasFile(string key) => Files.TryGetProperty(key, out _);

    private static Dictionary<string, ReferenceCase> Load()
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(FixturePaths.RequireReference("cases.json")));
        var result = new Dictionary<string, ReferenceCase>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var settings = new GenerationSettings
            {
                Prompt = c.GetProperty("prompt").GetString()!,
                NegativePrompt = c.GetProperty("negative_prompt").GetString()!,
                Width = c.GetProperty("width").GetInt32(),
                Height = c.GetProperty("height").GetInt32(),
                Steps = c.GetProperty("num_inference_steps").GetInt32(),
                GuidanceScale = c.GetProperty("guidance_scale").GetDouble(),
                PagScale = c.GetProperty("pag_scale").GetDouble(),
                PagLayers = c.GetProperty("pag_layer_indices").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                Sampler = c.GetProperty("scheduler").GetString() == "euler" ? SamplerKind.Euler : SamplerKind.DpmSolver,
                FlowShift = c.GetProperty("scheduler").GetString() == "euler" ? 3.0 : null,
            };
            var seeds = c.GetProperty("seeds_string").EnumerateArray().Select(e => ulong.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var name = c.GetProperty("name").GetString()!;
            result[name] = new ReferenceCase(name, settings, seeds, c.GetProperty("files").Clone());
        }

        return result;
    }
}
