using Sana.Inference.Imaging;

namespace Sana.Cli.Tests;

public sealed class GenerateCommandTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sana-cli-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private string Out => Path.Combine(_work, "out");

    [Fact]
    public void Generate_writes_one_png_per_image_with_seed_s_plus_i_on_the_bundled_model()
    {
        var (code, stdout, err) = SanaProcess.Run("generate", "--prompt", "a red fox", "--count", "3", "--seed", "18446744073709551614",
            "--steps", "2", "--width", "32", "--height", "64", "--batch-size", "2", "--out", Out, "--job-id", "fox");
        Assert.True(code == 0, err);
        var job = Path.Combine(Out, "fox");
        var files = Directory.GetFiles(job).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "000000-18446744073709551614.png", "000001-18446744073709551615.png", "000002-0.png", "manifest.jsonl" }, files);

        // The manifest: one line per image, in order, each with its seed, reference and the file's SHA-256.
        var manifest = File.ReadAllLines(Path.Combine(job, "manifest.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal([0, 1, 2], manifest.Select(m => m.GetProperty("index").GetInt32()));
        Assert.Equal([18446744073709551614UL, 18446744073709551615UL, 0UL], manifest.Select(m => m.GetProperty("seed").GetUInt64()));
        Assert.All(manifest, m => Assert.Equal("a red fox", m.GetProperty("prompt").GetString()));
        Assert.All(manifest, m => Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(m.GetProperty("image").GetString()!))),
            m.GetProperty("sha256").GetString()));
        Assert.Equal(3, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // one reference per image on stdout
        Assert.Contains("job fox completed: 3/3 images", err, StringComparison.Ordinal);
        var text = ImageEncoder.ReadPngText(File.ReadAllBytes(Path.Combine(job, "000002-0.png")));
        Assert.Equal("a red fox", text["prompt"]);
        Assert.Equal("0", text["seed"]); // S + i wraps at 2^64
        Assert.Equal("2", text["index"]);
        Assert.Equal("32x64", text["size"]);
        Assert.Equal("tiny-sana", text["model"]);
    }

    [Fact]
    public void The_same_seed_gives_the_same_file_whatever_the_batch_size()
    {
        var a = Path.Combine(_work, "a", "boat");
        var b = Path.Combine(_work, "b", "boat");
        Assert.Equal(0, SanaProcess.Run("generate", "-p", "a boat", "-n", "2", "--seed", "9", "--steps", "2", "--width", "32", "--height", "32", "--out", Path.Combine(_work, "a"), "--job-id", "boat").ExitCode);
        Assert.Equal(0, SanaProcess.Run("generate", "-p", "a boat", "-n", "2", "--seed", "9", "--steps", "2", "--width", "32", "--height", "32", "--batch-size", "2", "--out", Path.Combine(_work, "b"), "--job-id", "boat").ExitCode);
        Assert.Equal(2, Directory.GetFiles(a).Length);
        foreach (var name in Directory.GetFiles(a).Select(Path.GetFileName))
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, name!)), File.ReadAllBytes(Path.Combine(b, name!)));
        }
    }

    public static TheoryData<string[], string> BadArguments => new()
    {
        { ["--width", "30"], "--width: 30 must be a multiple of 4" },
        { ["--count", "0"], "--count: 0 is not a whole number in 1..100000" },
        { ["--count", "99999999999"], "--count: 99999999999 is not a whole number in 1..100000" },
        { ["--seed", "-1"], "--seed: -1 is not a whole number in 0..18446744073709551615" },
        { ["--seed", "18446744073709551616"], "--seed: 18446744073709551616 is not a whole number in 0..18446744073709551615" },
        { ["--steps", "0"], "--steps: 0 is not a whole number in 1..1000" },
        { ["--guidance-scale", "NaN"], "--guidance-scale: NaN must be a finite number" },
        { ["--guidance-scale", "strong"], "--guidance-scale: 'strong' is not a number" },
        { ["--scheduler", "ddim"], "--scheduler: 'ddim' is not dpm or euler" },
        { ["--pag-scale", "2", "--pag-layers", "x"], "--pag-layers: 'x' is not a block index" },
        { ["--pag-scale", "2", "--pag-layers", "99"], "--pag-layers: layer 99 is outside 0..2" },
        { ["--batch-size", "-1"], "--batch-size: -1 is not a whole number in 0..256" },
        { ["--cluster", "nowhere"], "--cluster: expected localhost[:PORT,...]" },
        { ["--job-id", "../escape"], "--job-id: '../escape' must be 1..128 characters" },
        { ["--device", "tpu"], "--device: 'tpu' is not 'cpu', 'cuda' or 'cuda:N'" },
        { ["--device", "cuda:0"], "device cuda:0: ONNX Runtime's CUDA execution provider cannot be used" },
        { ["--model", "/nonexistent/model"], "--model: model folder '/nonexistent/model' does not exist" },
        { ["--cuda-option", "prefer_nwhc=0"], "--cuda-option: 'prefer_nwhc' is not a CUDA provider option that can be set here" },
        { ["--cuda-option", "prefer_nhwc"], "--cuda-option: 'prefer_nhwc' is not KEY=VALUE" },
        { ["--cuda-option", "prefer_nhwc=0", "--cluster", "localhost"], "--cuda-option: only for the in-process cluster" },
        { ["--cuda-option", "prefer_nhwc=0", "--device", "cpu"], "--cuda-option: only with a CUDA device (--device is cpu)" },
        { ["--no-such-option"], "'--no-such-option'" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void Bad_input_prints_one_clear_line_exits_2_and_writes_nothing(string[] extra, string expected)
    {
        var (code, _, err) = SanaProcess.Run(["generate", "--prompt", "a fox", "--out", Out, .. extra]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("System.", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out), "nothing may be written on bad input");
    }

    [Fact]
    public void A_missing_prompt_is_one_line_naming_it_and_exit_2()
    {
        var (code, _, err) = SanaProcess.Run("generate", "--out", Out);
        Assert.Equal(2, code);
        Assert.StartsWith("sana generate: --prompt is required", err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(Out));
    }

    public static TheoryData<string> UnwritableOutputs => new() { "a file", "under a file", "read-only" };

    [Theory]
    [MemberData(nameof(UnwritableOutputs))]
    public void An_unwritable_out_is_one_line_naming_it_exit_2_before_anything_runs(string kind)
    {
        var file = Path.Combine(_work, "afile");
        File.WriteAllText(file, "not a folder");
        using var readOnly = kind == "read-only" ? new Sana.TestSupport.ReadOnlyFolder() : null;
        var (outArg, reason) = kind switch
        {
            "a file" => (file, "is a file, not a folder"),
            "under a file" => (Path.Combine(file, "sub"), "is a file, not a folder"),
            _ => (Path.Combine(readOnly!.Path, "images"), "cannot write in"),
        };
        var before = Directory.GetFileSystemEntries(_work, "*", SearchOption.AllDirectories);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var (code, stdout, err) = SanaProcess.Run("generate", "--prompt", "a fox", "--count", "3", "--out", outArg);

        Assert.Equal(2, code);
        Assert.StartsWith("sana generate: --out: ", err, StringComparison.Ordinal);
        Assert.Contains(reason, err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Empty(stdout);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}: it must answer before a silo starts");
        Assert.Equal(before, Directory.GetFileSystemEntries(_work, "*", SearchOption.AllDirectories));
        Assert.Equal("not a folder", File.ReadAllText(file));
        if (readOnly is not null)
        {
            Assert.Empty(Directory.GetFileSystemEntries(readOnly.Path));
        }
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void A_signal_cancels_the_in_process_job_and_exits_with_its_code_leaving_only_whole_images(string signal, int exitCode)
    {
        using var sana = SanaProcess.Start("generate", "--prompt", "a fox", "--count", "500", "--steps", "2", "--out", Out, "--job-id", "stopped");
        sana.WaitForStdOutLines(3, TimeSpan.FromMinutes(3));
        var signalled = System.Diagnostics.Stopwatch.StartNew();
        sana.Signal(signal);

        Assert.Equal(exitCode, sana.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.True(signalled.Elapsed < TimeSpan.FromSeconds(15), $"exited {signalled.Elapsed} after SIG{signal}");
        var last = sana.StdErr.Last(l => l.Length > 0);
        var folder = Path.Combine(Out, "stopped");
        Assert.Matches(@"^sana: interrupted: job stopped cancelled with \d+/500 image\(s\) stored under ", last);
        Assert.EndsWith(Path.GetFullPath(folder), last, StringComparison.Ordinal);

        // Every file is a whole PNG (none half-written, no temp file left) and fewer than all were made.
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
        Assert.InRange(files.Length, 3, 499);
        Assert.All(files, f => Assert.EndsWith(".png", f, StringComparison.Ordinal));
        Assert.All(files, f => Assert.Equal("a fox", ImageEncoder.ReadPngText(File.ReadAllBytes(f))["prompt"]));
        var stored = int.Parse(System.Text.RegularExpressions.Regex.Match(last, @"with (\d+)/").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(files.Length, stored, 499);

        // Nothing goes on after the exit.
        Thread.Sleep(1000);
        Assert.Equal(files.Length, Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void A_second_interrupt_exits_at_once()
    {
        using var sana = SanaProcess.Start("generate", "--prompt", "a fox", "--count", "500", "--steps", "2", "--out", Out, "--job-id", "twice");
        sana.WaitForStdOutLines(1, TimeSpan.FromMinutes(3));
        sana.Signal("INT");
        sana.Signal("INT");
        Assert.Equal(130, sana.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Contains("sana: interrupted again; exiting now", sana.StdErr);
    }
}
