using System.Text.Json;

namespace Sana.Inference.Model;

/// <summary>
/// A model folder on disk, checked: the manifest parses, every file it names exists, and its numbers agree with
/// each other (the transformer reads what the text encoder writes, the decoder reads what the transformer writes).
/// The graphs' own signatures are checked when their sessions open (<see cref="Onnx.OnnxGraph"/>).
/// </summary>
public sealed class ModelFolder
{
    private ModelFolder(string root, ModelManifest manifest)
    {
        Root = root;
        Manifest = manifest;
    }

    public string Root { get; }

    public ModelManifest Manifest { get; }

    public string Name => Manifest.Name;

    /// <summary>Pixels per latent cell along each axis: the VAE's compression times the transformer's patch size.</summary>
    public int PixelFactor => Manifest.VaeDecoder.SpatialCompressionRatio * Manifest.Transformer.PatchSize;

    public int LatentChannels => Manifest.Transformer.InChannels;

    public string TextEncoderPath => Resolve(Manifest.TextEncoder.File);

    public string TransformerPath => Resolve(Manifest.Transformer.File);

    /// <summary>The transformer's kernels graph, when the folder has one.</summary>
    public string? KernelsTransformerPath => Manifest.Transformer.Kernels is { } k ? Resolve(k.File) : null;

    public string VaeDecoderPath => Resolve(Manifest.VaeDecoder.File);

    public string? TokenizerModelPath => Manifest.Tokenizer.ModelFile is { } f ? Resolve(f) : null;

    public string? TokenizerJsonPath => Manifest.Tokenizer.JsonFile is { } f ? Resolve(f) : null;

    /// <summary>Reads and checks the folder; throws <see cref="ModelFolderException"/> naming what is wrong.</summary>
    public static ModelFolder Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var root = Path.GetFullPath(path);
        if (!Directory.Exists(root))
        {
            throw new ModelFolderException($"model folder '{root}' does not exist");
        }

        var manifestPath = Path.Combine(root, ModelManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            throw new ModelFolderException(
                $"model folder '{root}' has no {ModelManifest.FileName} (export one with tools/export/export_sana.py)");
        }

        var manifest = ModelManifest.Parse(File.ReadAllText(manifestPath), manifestPath);
        var folder = new ModelFolder(root, manifest);
        folder.Validate(manifestPath);
        return folder;
    }

    private string Resolve(string relative) => Path.GetFullPath(Path.Combine(Root, relative));

    private void Validate(string manifestPath)
    {
        var m = Manifest;
        var problems = new List<string>();
        if (m.Format != ModelManifest.SupportedFormat)
        {
            problems.Add($"format is '{m.Format}', this runtime reads '{ModelManifest.SupportedFormat}'");
        }

        RequirePositive(problems, "text_encoder.hidden_size", m.TextEncoder.HiddenSize);
        RequirePositive(problems, "transformer.in_channels", m.Transformer.InChannels);
        RequirePositive(problems, "transformer.out_channels", m.Transformer.OutChannels);
        RequirePositive(problems, "transformer.patch_size", m.Transformer.PatchSize);
        RequirePositive(problems, "transformer.num_layers", m.Transformer.NumLayers);
        RequirePositive(problems, "transformer.caption_channels", m.Transformer.CaptionChannels);
        RequirePositive(problems, "vae_decoder.latent_channels", m.VaeDecoder.LatentChannels);
        RequirePositive(problems, "vae_decoder.spatial_compression_ratio", m.VaeDecoder.SpatialCompressionRatio);
        RequirePositive(problems, "tokenizer.max_sequence_length", m.Tokenizer.MaxSequenceLength);
        if (!(m.VaeDecoder.ScalingFactor > 0) || !double.IsFinite(m.VaeDecoder.ScalingFactor))
        {
            problems.Add($"vae_decoder.scaling_factor must be a positive number, is {m.VaeDecoder.ScalingFactor}");
        }

        if (m.Transformer.CaptionChannels != m.TextEncoder.HiddenSize)
        {
            problems.Add($"transformer.caption_channels ({m.Transformer.CaptionChannels}) differs from text_encoder.hidden_size ({m.TextEncoder.HiddenSize})");
        }

        if (m.Transformer.InChannels != m.VaeDecoder.LatentChannels)
        {
            problems.Add($"transformer.in_channels ({m.Transformer.InChannels}) differs from vae_decoder.latent_channels ({m.VaeDecoder.LatentChannels})");
        }

        if (m.Transformer.OutChannels != m.Transformer.InChannels && m.Transformer.OutChannels != 2 * m.Transformer.InChannels)
        {
            problems.Add($"transformer.out_channels ({m.Transformer.OutChannels}) must equal in_channels or twice it (learned sigma)");
        }

        foreach (var (field, dtype) in new[] { ("text_encoder.dtype", m.TextEncoder.Dtype), ("transformer.dtype", m.Transformer.Dtype), ("vae_decoder.dtype", m.VaeDecoder.Dtype) })
        {
            if (dtype is not ("fp32" or "fp16" or "bf16"))
            {
                problems.Add($"{field} is '{dtype}', expected fp32, fp16 or bf16");
            }
        }

        if (m.Scheduler.ValueKind != JsonValueKind.Object)
        {
            problems.Add("scheduler must be an object (diffusers' scheduler_config.json)");
        }

        if (m.Tokenizer.ModelFile is null && m.Tokenizer.JsonFile is null)
        {
            problems.Add("tokenizer names neither model_file nor json_file");
        }

        RequireFile(problems, "text_encoder.file", m.TextEncoder.File);
        RequireFile(problems, "transformer.file", m.Transformer.File);
        if (m.Transformer.Kernels is { } kernels)
        {
            RequireFile(problems, "transformer.kernels.file", kernels.File);
        }
        RequireFile(problems, "vae_decoder.file", m.VaeDecoder.File);
        if (m.Tokenizer.ModelFile is { } tm)
        {
            RequireFile(problems, "tokenizer.model_file", tm);
        }

        if (m.Tokenizer.JsonFile is { } tj)
        {
            RequireFile(problems, "tokenizer.json_file", tj);
        }

        if (m.Files is { } files)
        {
            problems.AddRange(FileListProblems(files));
        }

        if (problems.Count > 0)
        {
            throw new ModelFolderException($"{manifestPath}: {string.Join("; ", problems)}");
        }
    }

    /// <summary>
    /// The shape of a manifest's "files" list (paths inside the folder, each once, 64 hex digits, sizes not negative);
    /// the hashes themselves are checked where a copy is fetched, not on every load.
    /// </summary>
    public static IReadOnlyList<string> FileListProblems(IReadOnlyList<ModelFileEntry> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            if (!IsSafeRelativePath(f.Path))
            {
                problems.Add($"files: path '{f.Path}' is not a relative path inside the folder");
            }
            else if (f.Path == ModelManifest.FileName)
            {
                problems.Add("files: lists the manifest itself");
            }
            else if (!seen.Add(f.Path))
            {
                problems.Add($"files: '{f.Path}' is listed twice");
            }

            if (f.Sha256 is not { Length: 64 } || !f.Sha256.All(char.IsAsciiHexDigit))
            {
                problems.Add($"files: '{f.Path}' has sha256 '{f.Sha256}', not 64 hex digits");
            }

            if (f.Size < 0)
            {
                problems.Add($"files: '{f.Path}' has a negative size");
            }
        }

        return problems;
    }

    /// <summary>'/'-separated segments, none empty, "." or "..", no backslash or drive: cannot leave the folder anywhere.</summary>
    public static bool IsSafeRelativePath(string? path) =>
        !string.IsNullOrEmpty(path)
        && !path.Contains('\\', StringComparison.Ordinal)
        && !path.Contains(':', StringComparison.Ordinal)
        && path.Split('/').All(s => s.Length > 0 && s != "." && s != ".." && !s.Any(char.IsControl));

    private static void RequirePositive(List<string> problems, string field, int value)
    {
        if (value <= 0)
        {
            problems.Add($"{field} must be positive, is {value}");
        }
    }

    private void RequireFile(List<string> problems, string field, string relative)
    {
        var full = Resolve(relative);
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            problems.Add($"{field} '{relative}' points outside the model folder");
        }
        else if (!File.Exists(full))
        {
            problems.Add($"{field}: file '{relative}' is missing");
        }
    }
}
