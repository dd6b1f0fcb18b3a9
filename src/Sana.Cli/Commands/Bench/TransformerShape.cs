using System.Text.Json;
using Sana.Inference.Model;
using Sana.Inference.Pipeline;

namespace Sana.Cli.Commands.Bench;

/// <summary>The transformer dimensions that set its FLOPs, read from the manifest's informational keys.</summary>
internal sealed record TransformerShape(int Layers, int Heads, int HeadDim, int CrossDim, int Caption, int Channels, int Patch)
{
    public int Hidden => Heads * HeadDim;

    /// <summary>Sana's GLUMBConv hidden width is int(mlp_ratio * hidden) with mlp_ratio 2.5 in every released model.</summary>
    public const double MlpRatio = 2.5;

    public const int TextTokens = 300;

    public static TransformerShape? Read(ModelFolder folder)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Root, ModelManifest.FileName)));
            var t = doc.RootElement.GetProperty("transformer");
            int Get(string name) => t.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
            var shape = new TransformerShape(Get("num_layers"), Get("num_attention_heads"), Get("attention_head_dim"), Get("cross_attention_dim"), Get("caption_channels"), Get("in_channels"), Math.Max(1, Get("patch_size")));
            return shape.Layers > 0 && shape.Heads > 0 && shape.HeadDim > 0 ? shape : null;
        }
        catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Matrix FLOPs (2 per multiply-add) of one transformer forward for one image and the total per image over the
    /// steps and guidance branches. Per block, N image tokens, D hidden, I cross inner (= cross_attention_dim),
    /// L = 300 text tokens, F = 2.5 D: linear self-attention q/k/v/out 8ND^2 + the kernel sums 4N(d+1)dH; cross
    /// attention q/out 4NDI, k/v 4LDI, scores and values 4NLI; GLUMBConv 1x1 D->2F 4NDF, 3x3 depthwise 36NF,
    /// 1x1 F->D 2NFD. Plus the patch embedding, caption projection and final layer. Sana 1600M at 1024 px: 2.96 TFLOP.
    /// </summary>
    public (double PerForward, double PerImage) ImageFlops(GenerationSettings settings, int pixelFactor)
    {
        double n = (double)(settings.Height / pixelFactor / Patch) * (settings.Width / pixelFactor / Patch);
        double d = Hidden;
        double inner = CrossDim > 0 ? CrossDim : Hidden;
        double f = Math.Floor(MlpRatio * Hidden);
        double l = TextTokens;
        var block = (8 * n * d * d) + (4 * n * (HeadDim + 1) * HeadDim * Heads)
            + (4 * n * d * inner) + (4 * l * d * inner) + (4 * n * l * inner)
            + (4 * n * d * f) + (36 * n * f) + (2 * n * f * d);
        var outer = (2 * n * Channels * Patch * Patch * d) + (2 * l * Caption * d) + (2 * l * d * d) + (2 * n * d * Channels * Patch * Patch);
        var forward = (Layers * block) + outer;
        var branches = settings.GuidanceScale > 1 ? 2 : 1;
        return (forward, forward * settings.Steps * branches);
    }
}
