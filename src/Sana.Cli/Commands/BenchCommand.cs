using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sana.Inference.Model;
using Sana.Inference.Pipeline;

namespace Sana.Cli.Commands;

/// <summary>
/// `sana bench`: times the raw SanaPipeline (no cluster) per batch size, the way the diffusers baseline
/// (benchmarks/diffusers_baseline.py) is timed: warm-up calls first, then wall clock around whole Generate calls,
/// each with its own prompt so that the text encoder runs every time as it does in diffusers. The split between text
/// encoder, transformer steps and VAE decode is read from outside through the pipeline's progress reports (one per
/// step, one after the decode), so the pipeline needs no timing hooks. Peak device memory comes from nvidia-smi,
/// sampled on a background thread. Writes JSON (after every batch size, so a killed run keeps what it measured)
/// and a Markdown table beside it.
/// </summary>
internal static class BenchCommand
{
    public const int MaxBatchSize = 256;

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model folder made by tools/export/export_sana.py (default: the bundled tiny model)." };
        var device = new Option<string>("--device") { Description = "cpu or cuda:N.", DefaultValueFactory = _ => "cpu" };
        var batchSizes = new Option<string>("--batch-sizes") { Description = "Comma-separated batch sizes (images per Generate call, one micro-batch).", DefaultValueFactory = _ => "1" };
        var steps = new Option<int>("--steps") { Description = "Denoising steps.", DefaultValueFactory = _ => 20 };
        var guidance = new Option<double>("--guidance-scale") { Description = "Classifier-free guidance; above 1 doubles the transformer batch.", DefaultValueFactory = _ => 4.5 };
        var width = new Option<int?>("--width") { Description = "Image width (default: the model's native size)." };
        var height = new Option<int?>("--height") { Description = "Image height (default: the model's native size)." };
        var warmup = new Option<int>("--warmup") { Description = "Untimed Generate calls per batch size before the timed ones.", DefaultValueFactory = _ => 1 };
        var repeats = new Option<int>("--repeats") { Description = "Timed Generate calls per batch size.", DefaultValueFactory = _ => 3 };
        var prompt = new Option<string>("--prompt") { Description = "Prompt; each call appends its own suffix so the prompt cache never answers.", DefaultValueFactory = _ => "a photograph of an astronaut riding a horse on the moon" };
        var output = new Option<string>("--out", "-o") { Description = "JSON results file; a Markdown table is written beside it (.md).", DefaultValueFactory = _ => "bench.json" };
        var peak = new Option<double>("--peak-tflops") { Description = "Dense rate of the device in TFLOP/s, for the utilisation column (H200 bf16, measured: 790).", DefaultValueFactory = _ => 790 };
        var sampleMs = new Option<int>("--memory-sample-ms") { Description = "nvidia-smi sampling interval for peak device memory.", DefaultValueFactory = _ => 100 };
        var label = new Option<string?>("--label") { Description = "Free text stored in the results (e.g. the dtype or the commit)." };
        var cudaOptions = new Option<string[]>("--cuda-option") { Description = "A CUDA provider option KEY=VALUE on top of ours (repeatable), e.g. prefer_nhwc=1: to measure a setting before it becomes a default." };
        var profile = new Option<bool>("--profile") { Description = "Record ONNX Runtime's per-node trace and add where the time goes, by operator, to the results (slower: not for speed figures; on CUDA run with CUDA_LAUNCH_BLOCKING=1)." };
        var command = new Command("bench", "Time the pipeline per batch size: images/s, time split, peak device memory, FLOP utilisation; JSON + Markdown.")
        {
            model, device, batchSizes, steps, guidance, width, height, warmup, repeats, prompt, output, peak, sampleMs, label, cudaOptions, profile,
        };
        command.Subcommands.Add(OverheadBenchCommand.Create());
        command.SetAction((parse, cancellationToken) =>
        {
            BenchRequest request;
            try
            {
                request = new BenchRequest(
                    parse.GetValue(model) ?? BundledModel.Path,
                    ExecutionDevice.Parse(parse.GetValue(device) ?? "cpu"),
                    ParseBatchSizes(parse.GetValue(batchSizes) ?? "1"),
                    parse.GetValue(steps),
                    parse.GetValue(guidance),
                    parse.GetValue(width),
                    parse.GetValue(height),
                    CheckCount("warmup", parse.GetValue(warmup), 0),
                    CheckCount("repeats", parse.GetValue(repeats), 1),
                    parse.GetValue(prompt) ?? "",
                    parse.GetValue(output) ?? "bench.json",
                    parse.GetValue(peak),
                    Math.Max(10, parse.GetValue(sampleMs)),
                    parse.GetValue(label),
                    Sana.Inference.Onnx.CudaProviderSettings.Parse(parse.GetValue(cudaOptions) ?? [], "cuda-option"),
                    parse.GetValue(profile));
                Sana.Inference.Onnx.CudaProviderSettings.RequireCudaDevice(request.CudaOptions,
                    request.Device.Kind == ExecutionProviderKind.Cuda, request.Device.ToString(), "cuda-option");
            }
            catch (Exception e) when (e is FormatException or GenerationRequestException)
            {
                return Task.FromResult(BadInput(e.Message));
            }

            return Task.FromResult(Run(request, cancellationToken));
        });
        return command;
    }

    internal static IReadOnlyList<int> ParseBatchSizes(string text)
    {
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var b) || b < 1 || b > MaxBatchSize)
            {
                throw new FormatException($"batch-sizes: '{part}' is not a batch size in 1..{MaxBatchSize}");
            }

            sizes.Add(b);
        }

        return sizes.Count > 0 ? sizes : throw new FormatException("batch-sizes: give at least one, e.g. 1,4,8,16");
    }

    private static int CheckCount(string name, int value, int min) =>
        value >= min && value <= 1000 ? value : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{name}: {value} is outside {min}..1000"));

    private static int Run(BenchRequest request, CancellationToken cancellationToken)
    {
        ModelFolder folder;
        try
        {
            folder = ModelFolder.Load(request.ModelPath);
        }
        catch (ModelFolderException e)
        {
            return BadInput(e.Message);
        }

        var native = folder.Manifest.Transformer.SampleSize * folder.PixelFactor;
        var settings = new GenerationSettings
        {
            Prompt = request.Prompt,
            Width = request.Width ?? native,
            Height = request.Height ?? native,
            Steps = request.Steps,
            GuidanceScale = request.GuidanceScale,
        };
        var shape = TransformerShape.Read(folder);
        var flops = shape?.ImageFlops(settings, folder.PixelFactor);
        var inv = CultureInfo.InvariantCulture;
        using var memory = request.Device.Kind == ExecutionProviderKind.Cuda ? GpuMemorySampler.TryStart(request.Device.DeviceId, request.SampleMs) : null;
        var baselineMemory = memory?.Current;
        if (request.Profile)
        {
            // ONNX Runtime opens its traces at load time, beside the results.
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!);
        }

        Console.Error.WriteLine($"sana bench: loading {folder.Root} ({folder.Name}) on {request.Device}");
        var load = Stopwatch.StartNew();
        SanaPipeline pipeline;
        try
        {
            pipeline = SanaPipeline.Load(folder.Root, new PipelineOptions
            {
                Device = request.Device,
                CudaProviderOptions = request.CudaOptions,
                ProfilePrefix = request.Profile ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!, "ort-trace") : null,
            });
        }
        catch (Exception e) when (e is ModelFolderException or Sana.Inference.Onnx.ExecutionDeviceException)
        {
            return BadInput(e.Message);
        }

        using (pipeline)
        {
            var report = new BenchReport
            {
                Tool = "sana bench",
                Label = request.Label,
                Model = new BenchModel(folder.Name, folder.Root, folder.Manifest.TextEncoder.Dtype, folder.Manifest.Transformer.Dtype, folder.Manifest.VaeDecoder.Dtype, folder.Manifest.Transformer.NumLayers, shape?.Hidden),
                Device = request.Device.ToString(),
                Environment = BenchEnvironment.Read(request.Device),
                Settings = new BenchSettings(settings.Width, settings.Height, settings.Steps, settings.GuidanceScale, "dpm", request.Warmup, request.Repeats, request.Prompt),
                LoadSeconds = load.Elapsed.TotalSeconds,
                Flops = flops is null ? null : new BenchFlops(flops.Value.PerForward, flops.Value.PerImage, request.PeakTflops,
                    "transformer only, from the manifest's dimensions (linear layers, attention, GLUMBConv; mlp_ratio 2.5), x steps x guidance branches; text encoder and VAE decode not counted"),
                TimingMethod = "wall clock around each Generate call (one micro-batch = the batch size); split from the pipeline's progress reports: steps = last step report - first + one median step (at most the first report's time); text encoder (+ noise, inputs) = first step report - start - that step; decode (+ RGB conversion) = final report - last step report",
                BaselineMemoryMib = baselineMemory,
                CudaProviderOptions = request.CudaOptions,
                Profiled = request.Profile,
                CudaLaunchBlocking = System.Environment.GetEnvironmentVariable("CUDA_LAUNCH_BLOCKING") == "1",
            };
            Console.Error.WriteLine(string.Create(inv, $"sana bench: loaded in {report.LoadSeconds:F1}s; {settings.Width}x{settings.Height}, {settings.Steps} steps, CFG {settings.GuidanceScale}; batch sizes {string.Join(',', request.BatchSizes)}"));
            var seed = 0UL;
            var call = 0;
            foreach (var batch in request.BatchSizes)
            {
                memory?.ResetPeak();
                var seeds = new ImageSeed[batch];
                var runs = new List<BenchRun>();
                var warmupSeconds = new List<double>();
                try
                {
                    for (var r = 0; r < request.Warmup + request.Repeats; r++)
                    {
                        for (var i = 0; i < batch; i++)
                        {
                            seeds[i] = new ImageSeed(i, seed++);
                        }

                        var run = TimeOne(pipeline, settings with { Prompt = string.Create(inv, $"{request.Prompt}, take {++call}") }, seeds, cancellationToken);
                        if (r < request.Warmup)
                        {
                            warmupSeconds.Add(run.TotalSeconds);
                        }
                        else
                        {
                            runs.Add(run);
                        }
                    }
                }
                catch (Sana.Inference.Onnx.OutOfDeviceMemoryException e)
                {
                    Console.Error.WriteLine($"sana bench: batch {batch}: out of device memory ({e.Message})");
                    report.Results.Add(BenchResult.Failed(batch, "out of device memory", memory?.TakePeak()));
                    Write(report, request.OutputPath);
                    continue;
                }
                catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
                {
                    // A kernel's own limit (seen on the H200: ORT's CUDA Resize refuses outputs over 2^31 elements in
                    // the fp32 VAE decode at batch 8, 1024 px) fails this batch size, not the whole run.
                    var reason = string.Join(' ', e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    Console.Error.WriteLine($"sana bench: batch {batch}: failed: {reason}");
                    report.Results.Add(BenchResult.Failed(batch, reason, memory?.TakePeak()));
                    Write(report, request.OutputPath);
                    continue;
                }

                var result = BenchResult.From(batch, runs, warmupSeconds, memory?.TakePeak(), baselineMemory, flops?.PerImage, request.PeakTflops);
                report.Results.Add(result);
                Console.Error.WriteLine(string.Create(inv,
                    $"sana bench: batch {batch}: {result.ImagesPerSecond:F3} images/s ({result.MeanSeconds:F3}s per call, text {result.TextEncoderSeconds:F3}s, steps {result.TransformerSeconds:F3}s = {result.StepSeconds * 1000:F1} ms/step, decode {result.VaeDecodeSeconds:F3}s), peak {result.PeakMemoryMib?.ToString(inv) ?? "n/a"} MiB, utilisation {result.UtilisationPercent?.ToString("F1", inv) ?? "n/a"}%"));
                Write(report, request.OutputPath);
            }

            if (request.Profile)
            {
                report.Profile = [.. pipeline.EndProfiling().Select(t => OnnxTraceSummary.Read(t.Graph, t.TracePath))];
                Write(report, request.OutputPath);
            }

            Console.Out.Write(Markdown(report));
            return ExitCodes.Success;
        }
    }

    private static BenchRun TimeOne(SanaPipeline pipeline, GenerationSettings settings, ImageSeed[] seeds, CancellationToken cancellationToken)
    {
        var clock = new ProgressClock();
        var total = Stopwatch.StartNew();
        clock.Start(total);
        var images = pipeline.Generate(settings, seeds, seeds.Length, clock, cancellationToken);
        var end = total.Elapsed.TotalSeconds;
        if (images.Count != seeds.Length)
        {
            throw new InvalidOperationException($"the pipeline returned {images.Count} images for {seeds.Length} seeds");
        }

        return clock.Split(end, settings.Steps);
    }

    private static void Write(BenchReport report, string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, JsonSerializer.Serialize(report, BenchReport.JsonOptions));
        File.WriteAllText(Path.ChangeExtension(full, ".md"), Markdown(report));
    }

    internal static string Markdown(BenchReport report)
    {
        var inv = CultureInfo.InvariantCulture;
        var s = report.Settings;
        var sb = new StringBuilder();
        sb.Append(inv, $"### sana bench: {report.Model.Name} ({report.Model.TransformerDtype} transformer, {report.Model.TextEncoderDtype} text encoder, {report.Model.VaeDtype} VAE) on {report.Device}");
        sb.Append(report.Environment.GpuName is { } g ? $" ({g})" : "").AppendLine();
        sb.AppendLine();
        sb.Append(inv, $"{s.Width}x{s.Height}, {s.Steps} steps, CFG {s.GuidanceScale}, DPM-Solver++; {s.Warmup} warm-up + {s.Repeats} timed calls per batch size; load {report.LoadSeconds:F1}s").AppendLine();
        sb.AppendLine();
        sb.AppendLine("| batch | images/s | s per call | text enc s | steps s | ms/step | decode s | peak MiB | util % |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in report.Results)
        {
            if (r.Error is { } error)
            {
                sb.Append(inv, $"| {r.BatchSize} | {error} | | | | | | {r.PeakMemoryMib?.ToString(inv) ?? "n/a"} | |").AppendLine();
                continue;
            }

            sb.Append(inv, $"| {r.BatchSize} | {r.ImagesPerSecond:F3} | {r.MeanSeconds:F3} | {r.TextEncoderSeconds:F3} | {r.TransformerSeconds:F3} | {r.StepSeconds * 1000:F1} | {r.VaeDecodeSeconds:F3} | {r.PeakMemoryMib?.ToString(inv) ?? "n/a"} | {r.UtilisationPercent?.ToString("F1", inv) ?? "n/a"} |").AppendLine();
        }

        if (report.Flops is { } f)
        {
            sb.AppendLine();
            sb.Append(inv, $"Utilisation: transformer FLOPs per image {f.PerImage / 1e12:F1} TFLOP ({f.PerForwardPerImage / 1e12:F3} TFLOP per forward per image; {f.Note}) x images/s over {f.PeakTflops} TFLOP/s.").AppendLine();
        }

        if (report.CudaProviderOptions.Count > 0)
        {
            sb.AppendLine();
            sb.Append("CUDA provider options on top of ours: ").AppendJoin(", ", report.CudaProviderOptions.Select(o => $"{o.Key}={o.Value}")).AppendLine();
        }

        if (report.Profiled)
        {
            sb.AppendLine();
            sb.AppendLine("Profiled run: ONNX Runtime recorded every node, so the times above are slower than a plain run's.");
            if (report.Profile is { } profile)
            {
                sb.Append(OnnxTraceSummary.Markdown(profile, report.CudaLaunchBlocking));
            }
        }

        return sb.ToString();
    }

    private static int BadInput(string message)
    {
        Console.Error.WriteLine($"sana bench: {message}");
        return ExitCodes.BadInput;
    }
}

/// <summary>A parsed `sana bench` command line.</summary>
internal sealed record BenchRequest(
    string ModelPath,
    ExecutionDevice Device,
    IReadOnlyList<int> BatchSizes,
    int Steps,
    double GuidanceScale,
    int? Width,
    int? Height,
    int Warmup,
    int Repeats,
    string Prompt,
    string OutputPath,
    double PeakTflops,
    int SampleMs,
    string? Label,
    IReadOnlyDictionary<string, string> CudaOptions,
    bool Profile);

/// <summary>
/// Timestamps of the pipeline's progress reports within one Generate call. Implements IProgress directly (not
/// Progress&lt;T&gt;) so each report is taken synchronously on the pipeline's thread, at the moment it happens.
/// </summary>
internal sealed class ProgressClock : IProgress<PipelineProgress>
{
    private readonly List<double> _steps = [];
    private Stopwatch? _clock;
    private double? _done;

    public void Start(Stopwatch clock) => _clock = clock;

    public void Report(PipelineProgress value)
    {
        var t = _clock!.Elapsed.TotalSeconds;
        if (value.ImagesDone >= value.ImagesTotal && value.ImagesTotal > 0 && value.StepsDone == value.StepsTotal && _steps.Count == value.StepsTotal)
        {
            _done = t;
        }
        else if (value.StepsDone > _steps.Count)
        {
            _steps.Add(t);
        }
    }

    /// <summary>Splits one call: see BenchReport.TimingMethod. Falls back to the total alone when reports are missing.</summary>
    public BenchRun Split(double total, int steps)
    {
        if (_steps.Count != steps || _done is null || steps < 1)
        {
            return new BenchRun(total, null, null, null, null);
        }

        var durations = new double[steps - 1];
        for (var i = 1; i < steps; i++)
        {
            durations[i - 1] = _steps[i] - _steps[i - 1];
        }

        Array.Sort(durations);
        var median = durations.Length == 0 ? _steps[0] : durations[durations.Length / 2];
        // The first step's report also covers the text encoder: one median step of it is the step, the rest the
        // encoder. Capped at the report's own time, so that a first step faster than the median (a noisy machine, or
        // few steps) never makes the parts add up to more than the call.
        var firstStep = Math.Min(median, _steps[0]);
        var transformer = _steps[^1] - _steps[0] + firstStep;
        var text = _steps[0] - firstStep;
        return new BenchRun(total, text, transformer, median, _done.Value - _steps[^1]);
    }
}

/// <summary>One timed Generate call; the split is null when the progress reports did not allow it.</summary>
internal sealed record BenchRun(double TotalSeconds, double? TextEncoderSeconds, double? TransformerSeconds, double? StepSeconds, double? VaeDecodeSeconds);

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

/// <summary>
/// Samples the device's used memory with nvidia-smi on a background thread. Whole-device figures (ONNX Runtime's
/// arena never hands memory back, so a peak covers everything allocated so far in the process, plus any other
/// process on the device: the baseline before loading is recorded for that).
/// </summary>
internal sealed class GpuMemorySampler : IDisposable
{
    private readonly int _deviceId;
    private readonly int _intervalMs;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private long _peak;
    private long _current;

    private GpuMemorySampler(int deviceId, int intervalMs, long first)
    {
        _deviceId = deviceId;
        _intervalMs = intervalMs;
        _current = _peak = first;
        _thread = new Thread(Loop) { IsBackground = true, Name = "sana-bench-memory" };
        _thread.Start();
    }

    public long Current => Interlocked.Read(ref _current);

    /// <summary>Starts sampling, or returns null when nvidia-smi cannot be run (the results then say n/a).</summary>
    public static GpuMemorySampler? TryStart(int deviceId, int intervalMs) =>
        Query(deviceId) is { } first ? new GpuMemorySampler(deviceId, intervalMs, first) : null;

    public void ResetPeak() => Interlocked.Exchange(ref _peak, Current);

    public long TakePeak()
    {
        if (Query(_deviceId) is { } now)
        {
            Observe(now);
        }

        return Interlocked.Read(ref _peak);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private void Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (Query(_deviceId) is { } used)
            {
                Observe(used);
            }

            _stop.Token.WaitHandle.WaitOne(_intervalMs);
        }
    }

    private void Observe(long used)
    {
        Interlocked.Exchange(ref _current, used);
        long seen;
        do
        {
            seen = Interlocked.Read(ref _peak);
        }
        while (used > seen && Interlocked.CompareExchange(ref _peak, used, seen) != seen);
    }

    internal static long? Query(int deviceId)
    {
        var text = BenchEnvironment.NvidiaSmi($"--query-gpu=memory.used --format=csv,noheader,nounits -i {deviceId.ToString(CultureInfo.InvariantCulture)}");
        return text is not null && long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var mib) ? mib : null;
    }
}

/// <summary>The machine a bench ran on.</summary>
internal sealed record BenchEnvironment(string Machine, int ProcessorCount, string Runtime, string? OnnxRuntime, string? GpuName, string? Driver, long? GpuMemoryTotalMib)
{
    public static BenchEnvironment Read(ExecutionDevice device)
    {
        string? ort = null;
        try
        {
            ort = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString();
        }
        catch (Exception e) when (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            // informational only
        }

        string? name = null, driver = null;
        long? total = null;
        if (device.Kind == ExecutionProviderKind.Cuda
            && NvidiaSmi($"--query-gpu=name,driver_version,memory.total --format=csv,noheader,nounits -i {device.DeviceId.ToString(CultureInfo.InvariantCulture)}") is { } line)
        {
            var parts = line.Trim().Split(',', StringSplitOptions.TrimEntries);
            name = parts.ElementAtOrDefault(0);
            driver = parts.ElementAtOrDefault(1);
            total = long.TryParse(parts.ElementAtOrDefault(2), NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) ? t : null;
        }

        return new BenchEnvironment(System.Environment.MachineName, System.Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, ort, name, driver, total);
    }

    /// <summary>Runs nvidia-smi with <paramref name="arguments"/>; null when it is missing or fails.</summary>
    internal static string? NvidiaSmi(string arguments)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("nvidia-smi", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (p is null)
            {
                return null;
            }

            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit(10_000);
            return p.HasExited && p.ExitCode == 0 ? text : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
    }
}

internal sealed record BenchModel(string Name, string Folder, string TextEncoderDtype, string TransformerDtype, string VaeDtype, int NumLayers, int? Hidden);

internal sealed record BenchSettings(int Width, int Height, int Steps, double GuidanceScale, string Scheduler, int Warmup, int Repeats, string Prompt);

internal sealed record BenchFlops(double PerForwardPerImage, double PerImage, double PeakTflops, string Note);

/// <summary>One batch size: the timed calls and their means; Error is set (and the rest empty) when it failed.</summary>
internal sealed record BenchResult
{
    public int BatchSize { get; init; }
    public string? Error { get; init; }
    public double ImagesPerSecond { get; init; }
    public double MeanSeconds { get; init; }
    public double MinSeconds { get; init; }
    public double MaxSeconds { get; init; }
    public double? TextEncoderSeconds { get; init; }
    public double? TransformerSeconds { get; init; }
    public double? StepSeconds { get; init; }
    public double? VaeDecodeSeconds { get; init; }
    public long? PeakMemoryMib { get; init; }
    public long? PeakMemoryAboveBaselineMib { get; init; }

    /// <summary>This process's peak resident memory so far (host RAM: the CPU provider's working memory).</summary>
    public long HostPeakWorkingSetMib { get; init; } = HostPeak();
    public double? UtilisationPercent { get; init; }
    public IReadOnlyList<double> WarmupSeconds { get; init; } = [];
    public IReadOnlyList<BenchRun> Runs { get; init; } = [];

    public static BenchResult Failed(int batch, string error, long? peak) => new() { BatchSize = batch, Error = error, PeakMemoryMib = peak };

    public static BenchResult From(int batch, List<BenchRun> runs, List<double> warmup, long? peak, long? baseline, double? flopsPerImage, double peakTflops)
    {
        var mean = runs.Average(r => r.TotalSeconds);
        var ips = batch / mean;
        return new BenchResult
        {
            BatchSize = batch,
            ImagesPerSecond = ips,
            MeanSeconds = mean,
            MinSeconds = runs.Min(r => r.TotalSeconds),
            MaxSeconds = runs.Max(r => r.TotalSeconds),
            TextEncoderSeconds = Mean(runs, r => r.TextEncoderSeconds),
            TransformerSeconds = Mean(runs, r => r.TransformerSeconds),
            StepSeconds = Mean(runs, r => r.StepSeconds),
            VaeDecodeSeconds = Mean(runs, r => r.VaeDecodeSeconds),
            PeakMemoryMib = peak,
            PeakMemoryAboveBaselineMib = peak is { } p && baseline is { } b ? p - b : null,
            UtilisationPercent = flopsPerImage is { } f && peakTflops > 0 ? 100 * ips * f / (peakTflops * 1e12) : null,
            WarmupSeconds = warmup,
            Runs = runs,
        };
    }

    private static long HostPeak()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64 >> 20;
    }

    private static double? Mean(List<BenchRun> runs, Func<BenchRun, double?> pick) =>
        runs.All(r => pick(r).HasValue) ? runs.Average(r => pick(r)!.Value) : null;
}

/// <summary>The whole results file.</summary>
internal sealed record BenchReport
{
    public required string Tool { get; init; }
    public string? Label { get; init; }
    public required BenchModel Model { get; init; }
    public required string Device { get; init; }
    public required BenchEnvironment Environment { get; init; }
    public required BenchSettings Settings { get; init; }
    public double LoadSeconds { get; init; }
    public BenchFlops? Flops { get; init; }
    public required string TimingMethod { get; init; }
    public long? BaselineMemoryMib { get; init; }
    public IReadOnlyDictionary<string, string> CudaProviderOptions { get; init; } = new Dictionary<string, string>();
    public bool Profiled { get; init; }
    public bool CudaLaunchBlocking { get; init; }
    public IReadOnlyList<TraceGraphSummary>? Profile { get; set; }
    public string CreatedUtc { get; init; } = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
    public List<BenchResult> Results { get; } = [];

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
