using Sana.Inference.Model;
using Sana.Inference.Onnx;
using Sana.Inference.Pipeline;
using Sana.Inference.Tests.Fixtures;

namespace Sana.Inference.Tests.Pipeline;

/// <summary>What callers of the pipeline rely on beyond parity: batch independence, caching, errors, cancellation.</summary>
public sealed class SanaPipelineBehaviourTests(TinySanaPipelineFixture fixture) : IClassFixture<TinySanaPipelineFixture>
{
    private static readonly GenerationSettings Settings = new()
    {
        Prompt = "a lighthouse at dusk", NegativePrompt = "blurry", Width = 32, Height = 64, Steps = 3, GuidanceScale = 4.5, PagScale = 2, PagLayers = [1],
    };

    private static ImageSeed[] Seeds(params ulong[] seeds) => seeds.Select((s, i) => new ImageSeed(i, s)).ToArray();

    [Fact]
    public void An_image_depends_on_its_seed_not_on_its_batch()
    {
        var seeds = Seeds(5, 6, 7, ulong.MaxValue);
        var one = fixture.Pipeline.Generate(Settings, seeds, microBatchSize: 1, null, CancellationToken.None);
        var all = fixture.Pipeline.Generate(Settings, seeds, microBatchSize: 4, null, CancellationToken.None);
        var threes = fixture.Pipeline.Generate(Settings, seeds, microBatchSize: 3, null, CancellationToken.None);
        var alone = fixture.Pipeline.Generate(Settings, [new ImageSeed(2, 7)], microBatchSize: 1, null, CancellationToken.None);
        for (var i = 0; i < seeds.Length; i++)
        {
            Assert.Equal(one[i].Rgb, all[i].Rgb);
            Assert.Equal(one[i].Rgb, threes[i].Rgb);
        }

        Assert.Equal(one[2].Rgb, alone[0].Rgb);
        Assert.NotEqual(one[0].Rgb, one[1].Rgb);
    }

    [Fact]
    public void A_prompt_is_encoded_once_however_many_images_and_batches()
    {
        using var pipeline = SanaPipeline.Load(Path.Combine(FixturePaths.TinySana, "model"), new PipelineOptions());
        var settings = Settings with { Steps = 1 };
        pipeline.Generate(settings, Seeds(1, 2, 3), microBatchSize: 1, null, CancellationToken.None);
        Assert.Equal(2, pipeline.TextEncoderRuns); // the prompt and the negative prompt
        pipeline.Generate(settings, Seeds(4, 5), microBatchSize: 2, null, CancellationToken.None);
        Assert.Equal(2, pipeline.TextEncoderRuns);
        pipeline.Generate(settings with { Prompt = "another prompt" }, Seeds(4), microBatchSize: 1, null, CancellationToken.None);
        Assert.Equal(3, pipeline.TextEncoderRuns); // the negative prompt stays cached
    }

    [Fact]
    public void Progress_counts_every_step_of_every_micro_batch()
    {
        var reports = new List<PipelineProgress>();
        var progress = new SynchronousProgress<PipelineProgress>(reports.Add);
        fixture.Pipeline.Generate(Settings, Seeds(1, 2, 3), microBatchSize: 2, progress, CancellationToken.None);
        Assert.Equal(new PipelineProgress(6, 6, 3, 3), reports[^1]);
        Assert.Equal(6, reports.Select(r => r.StepsDone).Distinct().Count());
    }

    [Fact]
    public void Bad_settings_are_rejected_before_any_work()
    {
        var e = Assert.Throws<GenerationRequestException>(() =>
            fixture.Pipeline.Generate(Settings with { Width = 30 }, Seeds(1), 1, null, CancellationToken.None));
        Assert.Equal("width", e.Field);
        Assert.Throws<GenerationRequestException>(() =>
            fixture.Pipeline.Generate(Settings with { PagLayers = [3] }, Seeds(1), 1, null, CancellationToken.None));
    }

    [Fact]
    public void Cancellation_stops_between_steps()
    {
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<PipelineProgress>(_ => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() =>
            fixture.Pipeline.Generate(Settings with { Steps = 50 }, Seeds(1), 1, progress, cts.Token));
    }

    [Fact]
    public void Cuda_on_a_machine_without_it_is_an_error_not_a_cpu_fallback()
    {
        var e = Assert.Throws<ExecutionDeviceException>(() =>
            SanaPipeline.Load(Path.Combine(FixturePaths.TinySana, "model"), new PipelineOptions { Device = ExecutionDevice.Cuda(0) }));
        Assert.Contains("cuda:0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_graph_is_a_load_error_naming_the_file()
    {
        var copy = CopyModel();
        try
        {
            var path = Path.Combine(copy, "transformer", "model.onnx");
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            var e = Assert.Throws<ModelFolderException>(() => SanaPipeline.Load(copy, new PipelineOptions()));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Swapped_graphs_fail_the_port_check_naming_the_missing_input()
    {
        var copy = CopyModel();
        try
        {
            File.Copy(Path.Combine(copy, "vae_decoder", "model.onnx"), Path.Combine(copy, "transformer", "model.onnx"), overwrite: true);
            var e = Assert.Throws<ModelFolderException>(() => SanaPipeline.Load(copy, new PipelineOptions()));
            Assert.Contains("has no input 'hidden_states'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Theory]
    [InlineData("transformer", "caption_channels", 48, "has size 32 in dimension 2, the manifest says 48")]
    [InlineData("transformer", "num_layers", 5, "input 'pag_layer_mask' has size 3 in dimension 0, the manifest says 5")]
    public void A_manifest_that_does_not_match_its_graphs_is_a_load_error(string section, string field, int value, string expected)
    {
        var copy = CopyModel();
        try
        {
            var manifestPath = Path.Combine(copy, ModelManifest.FileName);
            var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!;
            manifest[section]![field] = value;
            if (field == "caption_channels")
            {
                manifest["text_encoder"]!["hidden_size"] = value; // keep the manifest self-consistent: only the graph disagrees
            }

            File.WriteAllText(manifestPath, manifest.ToJsonString());
            var e = Assert.Throws<ModelFolderException>(() => SanaPipeline.Load(copy, new PipelineOptions()));
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static string CopyModel()
    {
        var source = Path.Combine(FixturePaths.TinySana, "model");
        var target = Directory.CreateTempSubdirectory("sana-model-copy-").FullName;
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }

        return target;
    }

    /// <summary>IProgress that reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
