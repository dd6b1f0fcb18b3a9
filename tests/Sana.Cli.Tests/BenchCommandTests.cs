using System.Text.Json;

namespace Sana.Cli.Tests;

/// <summary>
/// `sana bench` as a real process on the bundled tiny model and the CPU: the smoke test CI can run of the harness
/// that measures the H200 (benchmarks/run_h200.sh), checking the fields the summary scripts read.
/// </summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sana-bench-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Bench_times_each_batch_size_and_writes_json_and_markdown()
    {
        var json = Path.Combine(_work, "results", "tiny.json");
        var (code, stdout, err) = SanaProcess.Run("bench", "--device", "cpu", "--batch-sizes", "1,2", "--steps", "3", "--width", "32", "--height", "32",
            "--warmup", "1", "--repeats", "2", "--label", "ci", "--out", json);
        Assert.True(code == 0, err);
        Assert.Contains("| batch | images/s |", stdout, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal("sana bench", root.GetProperty("tool").GetString());
        Assert.Equal("ci", root.GetProperty("label").GetString());
        Assert.Equal("cpu", root.GetProperty("device").GetString());
        Assert.Equal("tiny-sana", root.GetProperty("model").GetProperty("name").GetString());
        var settings = root.GetProperty("settings");
        Assert.Equal(32, settings.GetProperty("width").GetInt32());
        Assert.Equal(3, settings.GetProperty("steps").GetInt32());
        Assert.Equal(4.5, settings.GetProperty("guidance_scale").GetDouble());
        Assert.True(root.GetProperty("flops").GetProperty("per_image").GetDouble() > 0);

        var results = root.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal([1, 2], results.Select(r => r.GetProperty("batch_size").GetInt32()));
        foreach (var r in results)
        {
            Assert.Equal(JsonValueKind.Null, r.GetProperty("error").ValueKind);
            var mean = r.GetProperty("mean_seconds").GetDouble();
            Assert.True(mean > 0);
            Assert.Equal(r.GetProperty("batch_size").GetInt32() / mean, r.GetProperty("images_per_second").GetDouble(), 6);
            Assert.Equal(2, r.GetProperty("runs").GetArrayLength());
            Assert.Equal(1, r.GetProperty("warmup_seconds").GetArrayLength());

            // The split read from the progress reports: its parts are measured and add up to no more than the call.
            var text = r.GetProperty("text_encoder_seconds").GetDouble();
            var steps = r.GetProperty("transformer_seconds").GetDouble();
            var decode = r.GetProperty("vae_decode_seconds").GetDouble();
            Assert.True(steps > 0 && decode > 0 && text >= 0);
            Assert.True(text + steps + decode <= mean * 1.0001, $"{text} + {steps} + {decode} > {mean}");
            Assert.Equal(JsonValueKind.Null, r.GetProperty("utilisation_percent").ValueKind); // the CPU's dense rate is not known
            Assert.Equal(JsonValueKind.Null, r.GetProperty("peak_memory_mib").ValueKind); // no GPU sampling on the CPU
            Assert.True(r.GetProperty("host_peak_working_set_mib").GetInt64() > 0);
        }

        var markdown = File.ReadAllText(Path.ChangeExtension(json, ".md"));
        Assert.Contains("| 2 |", markdown, StringComparison.Ordinal);
        Assert.Contains("the device's dense rate, unknown here (--peak-tflops gives it)", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void A_given_dense_rate_gives_the_utilisation_column()
    {
        var json = Path.Combine(_work, "rated.json");
        var (code, _, err) = SanaProcess.Run("bench", "--device", "cpu", "--batch-sizes", "1", "--steps", "2", "--width", "32", "--height", "32",
            "--warmup", "1", "--repeats", "1", "--peak-tflops", "0.5", "--out", json);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var result = doc.RootElement.GetProperty("results")[0];
        var expected = 100 * result.GetProperty("images_per_second").GetDouble() * doc.RootElement.GetProperty("flops").GetProperty("per_image").GetDouble() / 0.5e12;
        Assert.Equal(expected, result.GetProperty("utilisation_percent").GetDouble(), 6);
        Assert.Equal(0.5, doc.RootElement.GetProperty("flops").GetProperty("peak_tflops").GetDouble());
    }

    [Theory]
    [InlineData("--batch-sizes", "0", "batch-sizes: '0' is not a batch size in 1..256")]
    [InlineData("--batch-sizes", "1,x", "batch-sizes: 'x' is not a batch size")]
    [InlineData("--repeats", "0", "repeats: 0 is outside 1..1000")]
    [InlineData("--device", "tpu", "device: 'tpu' is not 'cpu', 'cuda' or 'cuda:N'")]
    [InlineData("--model", "/nonexistent/model", "model folder '/nonexistent/model' does not exist")]
    [InlineData("--cuda-option", "prefer_nhwc", "cuda-option: 'prefer_nhwc' is not KEY=VALUE")]
    [InlineData("--cuda-option", "prefer_nwhc=1", "cuda-option: 'prefer_nwhc' is not a CUDA provider option that can be set here")]
    [InlineData("--cuda-option", "device_id=1", "cuda-option: 'device_id' is not a CUDA provider option")]
    [InlineData("--cuda-option", "prefer_nhwc=1", "cuda-option: only with a CUDA device (--device is cpu)")]
    public void Bad_input_exits_2_with_one_line_and_writes_nothing(string option, string value, string expected)
    {
        var json = Path.Combine(_work, "bad.json");
        var (code, _, err) = SanaProcess.Run("bench", option, value, "--out", json);
        Assert.Equal(2, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(json));
    }

    [Fact]
    public void Profile_says_where_each_graphs_time_goes_by_operator()
    {
        var json = Path.Combine(_work, "profiled", "p.json");
        var (code, stdout, err) = SanaProcess.Run("bench", "--device", "cpu", "--batch-sizes", "2", "--steps", "3", "--width", "32", "--height", "32",
            "--warmup", "1", "--repeats", "1", "--profile", "--out", json);
        Assert.True(code == 0, err);
        Assert.Contains("Where the time goes", stdout, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.True(root.GetProperty("profiled").GetBoolean());
        var graphs = root.GetProperty("profile").EnumerateArray().ToArray();
        Assert.Equal(["text_encoder", "transformer", "vae_decoder"], graphs.Select(g => g.GetProperty("graph").GetString()));
        var transformer = graphs[1];

        // 2 calls x 3 steps of the transformer, the first run left out (algorithm search, arena growth).
        Assert.Equal(5, transformer.GetProperty("runs_counted").GetInt32());
        var ops = transformer.GetProperty("ops").EnumerateArray().ToArray();
        Assert.Contains(ops, o => o.GetProperty("op").GetString() == "MatMul" && o.GetProperty("provider").GetString() == "CPU");
        Assert.All(ops, o => Assert.True(o.GetProperty("milliseconds").GetDouble() >= 0));
        var shares = ops.Select(o => o.GetProperty("share_percent").GetDouble()).ToArray();
        Assert.True(shares.Sum() <= 100.0001 && shares[0] >= shares[^1], string.Join(", ", shares));
        Assert.True(transformer.GetProperty("node_milliseconds").GetDouble() <= transformer.GetProperty("run_milliseconds").GetDouble() * 1.01);
        Assert.True(File.Exists(transformer.GetProperty("trace_path").GetString()), "the trace is kept beside the results");

        // The same time by node, each layer's copy of a node in one row: the rows' node counts are multiples of the
        // layers (the tiny model has 3) times the runs counted (5), and the blocks' nodes are there by name.
        var nodes = transformer.GetProperty("nodes").EnumerateArray().ToArray();
        Assert.NotEmpty(nodes);
        Assert.All(nodes, n => Assert.DoesNotMatch(@"blocks\.\d+/", n.GetProperty("node").GetString()!));
        Assert.Contains(nodes, n => n.GetProperty("node").GetString()!.Contains("transformer_blocks.N/", StringComparison.Ordinal)
            && n.GetProperty("nodes").GetInt32() % 15 == 0);
        Assert.True(nodes.Sum(n => n.GetProperty("share_percent").GetDouble()) <= 100.0001);
        Assert.Contains("| node (layers folded) |", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Overhead_makes_the_same_images_directly_and_through_the_cluster_and_finds_the_bytes_identical()
    {
        var json = Path.Combine(_work, "overhead.json");
        var (code, stdout, err) = SanaProcess.Run("bench", "overhead", "--count", "6", "--micro-batch", "4", "--steps", "2", "--rounds", "2", "--out", json);
        Assert.True(code == 0, err);
        Assert.Contains("PNG bytes identical in every round: True", stdout, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(6, root.GetProperty("images").GetInt32());
        var rounds = root.GetProperty("rounds").EnumerateArray().ToArray();
        Assert.Equal(2, rounds.Length);
        Assert.All(rounds, r => Assert.True(r.GetProperty("bytes_identical").GetBoolean()));
        Assert.All(rounds, r => Assert.True(r.GetProperty("direct_seconds").GetDouble() > 0 && r.GetProperty("cluster_seconds").GetDouble() > 0));

        // The raw pipeline (issue 4's comparison): the direct side's pipeline calls, a part of its time.
        Assert.All(rounds, r => Assert.InRange(r.GetProperty("pipeline_seconds").GetDouble(), 1e-6, r.GetProperty("direct_seconds").GetDouble()));
        Assert.True(root.GetProperty("pipeline_median_seconds").GetDouble() > 0);
        Assert.True(root.GetProperty("all_identical").GetBoolean());
    }

    [Theory]
    [InlineData("--count", "0", "count: 0 is outside 1..10000")]
    [InlineData("--micro-batch", "999", "micro-batch: 999 is outside 1..256")]
    [InlineData("--rounds", "0", "rounds: 0 is outside 1..100")]
    [InlineData("--size", "0", "size: 0 is outside 1..8192")]
    [InlineData("--size", "30", "size: 30 must be a multiple of")]
    public void Overhead_bad_input_exits_2_with_one_line_and_writes_nothing(string option, string value, string expected)
    {
        var json = Path.Combine(_work, "bad-overhead.json");
        var (code, _, err) = SanaProcess.Run("bench", "overhead", option, value, "--out", json);
        Assert.Equal(2, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(json));
    }
}
