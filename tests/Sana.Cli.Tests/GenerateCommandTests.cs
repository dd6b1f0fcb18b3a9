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
        Assert.Equal(2, Directory.GetFiles(a, "*.png").Length);
        foreach (var name in Directory.GetFiles(a, "*.png").Select(Path.GetFileName))
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

    [Fact]
    public void A_prompt_file_makes_each_lines_images_with_its_own_seed_and_a_manifest_naming_the_item()
    {
        var csv = Path.Combine(_work, "catalogue.csv");
        File.WriteAllText(csv, "prompt,count,seed\n\"a red chair, studio light\",2,500\n\"a \"\"blue\"\" lamp\",,\n");
        var (code, stdout, err) = SanaProcess.Run("generate", "--prompts", csv, "--count", "3", "--seed", "9", "--steps", "2",
            "--width", "32", "--height", "32", "--out", Out, "--job-id", "catalogue");
        Assert.True(code == 0, err);
        Assert.Contains("5 image(s) of 2 prompt(s)", err, StringComparison.Ordinal);
        Assert.Equal(5, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var manifest = File.ReadAllLines(Path.Combine(Out, "catalogue", "manifest.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal([0, 0, 1, 1, 1], manifest.Select(m => m.GetProperty("item").GetInt32()));
        Assert.Equal([0, 1, 0, 1, 2], manifest.Select(m => m.GetProperty("index").GetInt32()));
        // The second line has no seed: it continues after the first line's images (500, 501).
        Assert.Equal([500UL, 501UL, 502UL, 503UL, 504UL], manifest.Select(m => m.GetProperty("seed").GetUInt64()));
        Assert.Equal("a \"blue\" lamp", manifest[4].GetProperty("prompt").GetString());
        Assert.Equal("a red chair, studio light", ImageEncoder.ReadPngText(File.ReadAllBytes(manifest[0].GetProperty("image").GetString()!))["prompt"]);

        // The same prompts as JSON lines give the same pixels.
        var jsonl = Path.Combine(_work, "catalogue.jsonl");
        File.WriteAllText(jsonl, "{\"prompt\": \"a red chair, studio light\", \"count\": 2, \"seed\": 500}\n\n{\"prompt\": \"a \\\"blue\\\" lamp\", \"count\": 3}\n");
        (code, _, err) = SanaProcess.Run("generate", "--prompts", jsonl, "--seed", "9", "--steps", "2",
            "--width", "32", "--height", "32", "--out", Out, "--job-id", "catalogue-json");
        Assert.True(code == 0, err);
        foreach (var line in manifest)
        {
            var name = Path.GetFileName(line.GetProperty("image").GetString()!);
            Assert.Equal(ImageEncoder.DecodeRgb(File.ReadAllBytes(Path.Combine(Out, "catalogue", name))).Rgb,
                ImageEncoder.DecodeRgb(File.ReadAllBytes(Path.Combine(Out, "catalogue-json", name))).Rgb);
        }
    }

    public static TheoryData<string, string, string> BadPromptFiles => new()
    {
        { "p.csv", "negative_prompt,count\nfog,1\n", "--prompts: line 1: header: has no prompt column" },
        { "p.csv", "prompt,colour\na fox,red\n", "--prompts: line 1: colour: is not a column" },
        { "p.csv", "prompt,count\na fox,1\na boat,many\n", "--prompts: line 3: count: 'many' is not a whole number in 1..100000" },
        { "p.csv", "prompt\n\"a fox\n", "--prompts: line 2: line: has a quote that is not closed" },
        { "p.csv", "prompt,seed\na fox,-3\n", "--prompts: line 2: seed: '-3' is not a whole number" },
        { "p.jsonl", "{\"prompt\": \"a fox\"}\n{\"prompt\": \"a boat\", \"colour\": 1}\n", "--prompts: line 2: colour: is not a field of a prompt line" },
        { "p.jsonl", "{\"prompt\": \"a fox\"}\n{\"prompt\": \"a boat\"\n", "--prompts: line 2: line: is not JSON" },
        { "p.jsonl", "{\"prompt\": \"\"}\n", "--prompts: line 1: prompt: is empty" },
        { "p.jsonl", "{\"prompt\": \"a fox\"}\n\n{\"prompt\": \"" + new string('x', 20_001) + "\"}\n", "--prompts: line 3: prompt: " },
        { "p.csv", "", "--prompts: " },
    };

    [Theory]
    [MemberData(nameof(BadPromptFiles))]
    public void A_bad_prompt_file_is_one_line_naming_its_line_and_field_and_nothing_runs(string name, string content, string expected)
    {
        var file = Path.Combine(_work, name);
        File.WriteAllText(file, content);
        var (code, stdout, err) = SanaProcess.Run("generate", "--prompts", file, "--out", Out);
        Assert.Equal(2, code);
        Assert.StartsWith("sana generate: " + expected, err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Empty(stdout);
        Assert.False(Directory.Exists(Out), "nothing may be written for a bad prompt file");
    }

    [Fact]
    public void A_prompt_and_a_prompt_file_together_are_refused()
    {
        var file = Path.Combine(_work, "p.csv");
        File.WriteAllText(file, "prompt\na fox\n");
        var (code, _, err) = SanaProcess.Run("generate", "--prompt", "a fox", "--prompts", file, "--out", Out);
        Assert.Equal(2, code);
        Assert.StartsWith("sana generate: --prompts: takes the place of --prompt", err, StringComparison.Ordinal);
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
