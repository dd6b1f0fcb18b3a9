using Sana.Inference.Model;
using Sana.Inference.Onnx;

namespace Sana.Inference.Pipeline;

/// <summary>The command-line and configuration spelling of <see cref="TransformerGraphPreference"/>.</summary>
public static class TransformerGraphPreferences
{
    /// <summary>"auto", "portable" or "kernels" (any case); <paramref name="field"/> names the option in the error.</summary>
    /// <exception cref="FormatException">any other text.</exception>
    public static TransformerGraphPreference Parse(string text, string field) => text?.Trim().ToLowerInvariant() switch
    {
        "auto" => TransformerGraphPreference.Auto,
        "portable" => TransformerGraphPreference.Portable,
        "kernels" => TransformerGraphPreference.Kernels,
        _ => throw new FormatException($"{field}: '{text}' is not auto, portable or kernels"),
    };
}
