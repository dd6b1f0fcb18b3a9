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
        Assert.Equal(new[] { "000000-18446744073709551614.png", "000001-18446744073709551615.png", "000002-0.png" }, files);
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
        { ["--width", "30"], "width: 30 must be a multiple of 4" },
        { ["--count", "0"], "count: 0 is outside 1..100000" },
        { ["--steps", "0"], "steps: 0 is outside 1..1000" },
        { ["--guidance-scale", "NaN"], "guidance_scale: NaN must be a finite number" },
        { ["--scheduler", "ddim"], "scheduler: 'ddim' is not dpm or euler" },
        { ["--pag-scale", "2", "--pag-layers", "x"], "pag-layers: 'x' is not a block index" },
        { ["--pag-scale", "2", "--pag-layers", "99"], "pag_layers: layer 99 is outside 0..2" },
        { ["--batch-size", "-1"], "batch-size: -1 is outside 0..256" },
        { ["--cluster", "nowhere"], "cluster: expected localhost[:PORT,...]" },
        { ["--job-id", "../escape"], "job" },
        { ["--device", "tpu"], "device: 'tpu' is not 'cpu', 'cuda' or 'cuda:N'" },
        { ["--device", "cuda:0"], "device cuda:0: ONNX Runtime's CUDA execution provider cannot be used" },
        { ["--model", "/nonexistent/model"], "model folder '/nonexistent/model' does not exist" },
        { ["--cuda-option", "prefer_nwhc=0"], "cuda-option: 'prefer_nwhc' is not a CUDA provider option that can be set here" },
        { ["--cuda-option", "prefer_nhwc"], "cuda-option: 'prefer_nhwc' is not KEY=VALUE" },
        { ["--cuda-option", "prefer_nhwc=0", "--cluster", "localhost"], "cuda-option: only for the in-process cluster" },
        { ["--cuda-option", "prefer_nhwc=0", "--device", "cpu"], "cuda-option: only with a CUDA device (--device is cpu)" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void Bad_input_prints_one_clear_line_exits_2_and_writes_nothing(string[] extra, string expected)
    {
        var (code, _, err) = SanaProcess.Run(["generate", "--prompt", "a fox", "--out", Out, .. extra]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(Out), "nothing may be written on bad input");
    }

    [Fact]
    public void A_missing_prompt_is_a_usage_error()
    {
        var (code, _, err) = SanaProcess.Run("generate", "--out", Out);
        Assert.NotEqual(0, code);
        Assert.Contains("--prompt", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }
}
