using System.Text.Json.Nodes;
using Sana.Inference.Model;

namespace Sana.Inference.Tests.Model;

public sealed class ModelFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sana-model-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static JsonObject Manifest() => new()
    {
        ["format"] = "sana-onnx/1",
        ["name"] = "unit",
        ["tokenizer"] = new JsonObject { ["model_file"] = "tokenizer/tokenizer.model", ["max_sequence_length"] = 300 },
        ["text_encoder"] = new JsonObject { ["file"] = "text_encoder/model.onnx", ["dtype"] = "fp32", ["hidden_size"] = 32 },
        ["transformer"] = new JsonObject
        {
            ["file"] = "transformer/model.onnx", ["dtype"] = "fp32", ["in_channels"] = 8, ["out_channels"] = 8, ["patch_size"] = 1,
            ["num_layers"] = 2, ["caption_channels"] = 32, ["sample_size"] = 16,
        },
        ["vae_decoder"] = new JsonObject
        {
            ["file"] = "vae_decoder/model.onnx", ["dtype"] = "fp32", ["latent_channels"] = 8, ["spatial_compression_ratio"] = 4, ["scaling_factor"] = 0.41407,
        },
        ["scheduler"] = new JsonObject { ["_class_name"] = "DPMSolverMultistepScheduler" },
    };

    private void Write(JsonObject manifest, bool withFiles = true)
    {
        File.WriteAllText(Path.Combine(_root, ModelManifest.FileName), manifest.ToJsonString());
        if (withFiles)
        {
            foreach (var f in new[] { "tokenizer/tokenizer.model", "text_encoder/model.onnx", "transformer/model.onnx", "vae_decoder/model.onnx" })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_root, f))!);
                File.WriteAllBytes(Path.Combine(_root, f), [1]);
            }
        }
    }

    [Fact]
    public void A_consistent_folder_loads_with_its_pixel_factor()
    {
        Write(Manifest());
        var folder = ModelFolder.Load(_root);
        Assert.Equal(4, folder.PixelFactor);
        Assert.Equal(8, folder.LatentChannels);
        Assert.EndsWith("transformer/model.onnx", folder.TransformerPath, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_folder_is_named() =>
        Assert.Contains("does not exist", Assert.Throws<ModelFolderException>(() => ModelFolder.Load(Path.Combine(_root, "nope"))).Message, StringComparison.Ordinal);

    [Fact]
    public void A_missing_manifest_says_how_to_make_one() =>
        Assert.Contains("export_sana.py", Assert.Throws<ModelFolderException>(() => ModelFolder.Load(_root)).Message, StringComparison.Ordinal);

    [Fact]
    public void Invalid_json_names_the_manifest()
    {
        File.WriteAllText(Path.Combine(_root, ModelManifest.FileName), "{ not json");
        Assert.Contains(ModelManifest.FileName, Assert.Throws<ModelFolderException>(() => ModelFolder.Load(_root)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_graph_files_are_each_named()
    {
        Write(Manifest(), withFiles: false);
        var message = Assert.Throws<ModelFolderException>(() => ModelFolder.Load(_root)).Message;
        Assert.Contains("transformer.file: file 'transformer/model.onnx' is missing", message, StringComparison.Ordinal);
        Assert.Contains("vae_decoder.file", message, StringComparison.Ordinal);
        Assert.Contains("tokenizer.model_file", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("transformer", "caption_channels", 16, "transformer.caption_channels (16) differs from text_encoder.hidden_size (32)")]
    [InlineData("vae_decoder", "latent_channels", 4, "transformer.in_channels (8) differs from vae_decoder.latent_channels (4)")]
    [InlineData("transformer", "num_layers", 0, "transformer.num_layers must be positive")]
    [InlineData("vae_decoder", "spatial_compression_ratio", -1, "vae_decoder.spatial_compression_ratio must be positive")]
    public void Inconsistent_numbers_are_explained(string section, string field, int value, string expected)
    {
        var manifest = Manifest();
        manifest[section]![field] = value;
        Write(manifest);
        Assert.Contains(expected, Assert.Throws<ModelFolderException>(() => ModelFolder.Load(_root)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_format_and_dtype_are_rejected()
    {
        var manifest = Manifest();
        manifest["format"] = "sana-onnx/9";
        manifest["transformer"]!["dtype"] = "int8";
        Write(manifest);
        var message = Assert.Throws<ModelFolderException>(() => ModelFolder.Load(_root)).Message;
        Assert.Contains("format is 'sana-onnx/9'", message, StringComparison.Ordinal);
        Assert.Contains("transformer.dtype is 'int8'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Paths_outside_the_folder_are_refused()
    {
        var manifest = Manifest();
        manifest["transformer"]!["file"] = "../../etc/passwd";
        Write(manifest);
        Assert.Contains("points outside the model folder", Assert.Throws<ModelFolderException>(() => ModelFolder.Load(_root)).Message, StringComparison.Ordinal);
    }
}
