using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sana.Inference.Model;

/// <summary>
/// The manifest <c>sana-model.json</c> of a model folder (format <c>sana-onnx/1</c>, docs/model-folder.md):
/// the dimensions and conventions the runtime needs, written by tools/export/export_sana.py.
/// </summary>
public sealed record ModelManifest
{
    public const string FileName = "sana-model.json";
    public const string SupportedFormat = "sana-onnx/1";

    public required string Format { get; init; }
    public required string Name { get; init; }
    public string? Source { get; init; }
    public required TokenizerSection Tokenizer { get; init; }
    public required TextEncoderSection TextEncoder { get; init; }
    public required TransformerSection Transformer { get; init; }
    public required VaeDecoderSection VaeDecoder { get; init; }

    /// <summary>diffusers' scheduler_config.json as exported; parsed by the sampler factory.</summary>
    public required JsonElement Scheduler { get; init; }

    /// <summary>
    /// Every other file of the folder with its SHA-256 and size (tools/export/model_checksums.py), so a copy fetched
    /// from blob storage can be checked before anything loads it. Null in folders exported before the list existed:
    /// those still load from a local path; only a download needs the list.
    /// </summary>
    public IReadOnlyList<ModelFileEntry>? Files { get; init; }

    /// <summary>Parses a manifest's text; <paramref name="source"/> (a path or a redacted URL) names it in errors.</summary>
    /// <exception cref="ModelFolderException">not JSON, or not a manifest.</exception>
    public static ModelManifest Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize<ModelManifest>(json, JsonOptions)
                ?? throw new ModelFolderException($"{source}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new ModelFolderException($"{source}: not a valid manifest: {e.Message}", e);
        }
    }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };
}

public sealed record TokenizerSection
{
    public string? ModelFile { get; init; }
    public string? JsonFile { get; init; }
    public int PadId { get; init; }
    public int EosId { get; init; } = 1;
    public int BosId { get; init; } = 2;
    public int UnkId { get; init; } = 3;
    public int MaxSequenceLength { get; init; } = 300;
    public IReadOnlyList<string> ComplexHumanInstruction { get; init; } = [];
}

public sealed record TextEncoderSection
{
    public required string File { get; init; }
    public string Dtype { get; init; } = "fp32";
    public int HiddenSize { get; init; }
}

public sealed record TransformerSection
{
    public required string File { get; init; }
    public string Dtype { get; init; } = "fp32";
    public int InChannels { get; init; }
    public int OutChannels { get; init; }
    public int PatchSize { get; init; } = 1;
    public int NumLayers { get; init; }
    public int CaptionChannels { get; init; }
    public int SampleSize { get; init; }
    public double TimestepScale { get; init; } = 1.0;

    /// <summary>
    /// The same transformer as a graph of the sana.kernels custom ops (src/Sana.Kernels), which the runtime takes on
    /// CUDA when the kernel library is loaded; null in folders without one (then <see cref="KernelsMissing"/> may say why).
    /// </summary>
    public KernelsGraphSection? Kernels { get; init; }

    /// <summary>Why the exporter wrote no kernels graph (a transformer the ops do not cover, a failed check).</summary>
    public string? KernelsMissing { get; init; }
}

/// <summary>The transformer's kernels graph: its file and the version of the op domain it was exported against.</summary>
public sealed record KernelsGraphSection
{
    public required string File { get; init; }
    public string Domain { get; init; } = "sana.kernels";
    public int Version { get; init; } = 1;
}

public sealed record VaeDecoderSection
{
    public required string File { get; init; }
    public string Dtype { get; init; } = "fp32";
    public int LatentChannels { get; init; }
    public int SpatialCompressionRatio { get; init; }
    public double ScalingFactor { get; init; }
}

/// <summary>One file of a model folder as the manifest lists it: path relative to the folder ('/'-separated), SHA-256 as
/// 64 hex digits, size in bytes.</summary>
public sealed record ModelFileEntry
{
    public required string Path { get; init; }
    public required string Sha256 { get; init; }
    public long Size { get; init; }
}
