using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sana.Inference.Model;
using Sana.Inference.Pipeline;

namespace Sana.Cli.Commands.Bench;

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
        var peak = new Option<double?>("--peak-tflops") { Description = "Dense rate of the device in TFLOP/s for the utilisation column (default: the measured bf16 rate of an H100 or H200; on other devices, the CPU included, no utilisation unless given)." };
        var sampleMs = new Option<int>("--memory-sample-ms") { Description = "nvidia-smi sampling interval for peak device memory.", DefaultValueFactory = _ => 100 };
        var label = new Option<string?>("--label") { Description = "Free text stored in the results (e.g. the dtype or the commit)." };
        var cudaOptions = new Option<string[]>("--cuda-option") { Description = "A CUDA provider option KEY=VALUE on top of ours (repeatable), e.g. prefer_nhwc=1: to measure a setting before it becomes a default." };
        var graph = new Option<string>("--transformer-graph") { Description = "auto (the kernels graph on CUDA when the model folder has one and the kernel library loads), portable or kernels (on the CPU too, through the library's CPU ops).", DefaultValueFactory = _ => "auto" };
        var kernelLibrary = new Option<string?>("--kernel-library") { Description = "The kernel library libsana_kernels.so (default: $SANA_KERNELS_LIBRARY, then beside sana)." };
        var cudaGraphs = new Option<bool>("--cuda-graphs") { Description = "Run the denoising steps as CUDA graphs, one per micro-batch shape (needs the kernel library; the report says when ONNX Runtime refuses the capture)." };
        var profile = new Option<bool>("--profile") { Description = "Record ONNX Runtime's per-node trace and add where the time goes, by operator, to the results (slower: not for speed figures; on CUDA run with CUDA_LAUNCH_BLOCKING=1)." };
        var command = new Command("bench", "Time the pipeline per batch size: images/s, time split, peak device memory, FLOP utilisation; JSON + Markdown.")
        {
            model, device, batchSizes, steps, guidance, width, height, warmup, repeats, prompt, output, peak, sampleMs, label, cudaOptions, profile, graph, kernelLibrary, cudaGraphs,
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
                    parse.GetValue(profile),
                    TransformerGraphPreferences.Parse(parse.GetValue(graph) ?? "auto", "transformer-graph"),
                    parse.GetValue(kernelLibrary),
                    parse.GetValue(cudaGraphs));
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
                TransformerGraph = request.TransformerGraph,
                KernelLibraryPath = request.KernelLibraryPath,
                CudaGraphs = request.CudaGraphs,
                ProfilePrefix = request.Profile ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!, "ort-trace") : null,
            });
        }
        catch (Exception e) when (e is ModelFolderException or Sana.Inference.Onnx.ExecutionDeviceException)
        {
            return BadInput(e.Message);
        }

        using (pipeline)
        {
            var report = NewReport(request, folder, shape, settings, load.Elapsed.TotalSeconds, flops, pipeline, baselineMemory);
            var peakTflops = report.Flops?.PeakTflops;
            Console.Error.WriteLine($"sana bench: transformer: {pipeline.TransformerGraph}");
            Console.Error.WriteLine(string.Create(inv, $"sana bench: loaded in {report.LoadSeconds:F1}s; {settings.Width}x{settings.Height}, {settings.Steps} steps, CFG {settings.GuidanceScale}; batch sizes {string.Join(',', request.BatchSizes)}"));
            var takes = new BenchTakes(request.Prompt);
            foreach (var batch in request.BatchSizes)
            {
                memory?.ResetPeak();
                report.Results.Add(MeasureBatch(pipeline, settings, batch, request, takes, memory, baselineMemory, flops?.PerImage, peakTflops, cancellationToken));
                Write(report, request.OutputPath);
            }

            if (request.Profile)
            {
                report.Profile = [.. pipeline.EndProfiling().Select(t => OnnxTraceSummary.Read(t.Graph, t.TracePath))];
                Write(report, request.OutputPath);
            }

            Console.Out.Write(report.ToMarkdown());
            return ExitCodes.Success;
        }
    }

    /// <summary>The report's header: what was measured, where and how; the results are added per batch size.</summary>
    private static BenchReport NewReport(BenchRequest request, ModelFolder folder, TransformerShape? shape, GenerationSettings settings, double loadSeconds,
        (double PerForward, double PerImage)? flops, SanaPipeline pipeline, long? baselineMemory)
    {
        var environment = BenchEnvironment.Read(request.Device);
        var peakTflops = request.PeakTflops ?? DenseRates.TflopsOf(environment.GpuName);
        return new BenchReport
        {
            Tool = "sana bench",
            Label = request.Label,
            Model = new BenchModel(folder.Name, folder.Root, folder.Manifest.TextEncoder.Dtype, folder.Manifest.Transformer.Dtype, folder.Manifest.VaeDecoder.Dtype, folder.Manifest.Transformer.NumLayers, shape?.Hidden),
            Device = request.Device.ToString(),
            Environment = environment,
            Settings = new BenchSettings(settings.Width, settings.Height, settings.Steps, settings.GuidanceScale, "dpm", request.Warmup, request.Repeats, request.Prompt),
            LoadSeconds = loadSeconds,
            Flops = flops is null ? null : new BenchFlops(flops.Value.PerForward, flops.Value.PerImage, peakTflops,
                "transformer only, from the manifest's dimensions (linear layers, attention, GLUMBConv; mlp_ratio 2.5), x steps x guidance branches; text encoder and VAE decode not counted"),
            TimingMethod = "wall clock around each Generate call (one micro-batch = the batch size); split from the pipeline's progress reports: steps = last step report - first + one median step (at most the first report's time); text encoder (+ noise, inputs) = first step report - start - that step; decode (+ RGB conversion) = final report - last step report",
            BaselineMemoryMib = baselineMemory,
            CudaProviderOptions = request.CudaOptions,
            TransformerGraph = pipeline.TransformerGraph.ToString(),
            Profiled = request.Profile,
            CudaLaunchBlocking = System.Environment.GetEnvironmentVariable("CUDA_LAUNCH_BLOCKING") == "1",
        };
    }

    /// <summary>
    /// One batch size: its warm-up and timed calls and their result; out of device memory or a kernel's own limit
    /// (seen on the H200: ORT's CUDA Resize refuses outputs over 2^31 elements in the fp32 VAE decode at batch 8,
    /// 1024 px) fails this batch size, not the whole run.
    /// </summary>
    private static BenchResult MeasureBatch(SanaPipeline pipeline, GenerationSettings settings, int batch, BenchRequest request, BenchTakes takes,
        GpuMemorySampler? memory, long? baselineMemory, double? flopsPerImage, double? peakTflops, CancellationToken cancellationToken)
    {
        var inv = CultureInfo.InvariantCulture;
        var runs = new List<BenchRun>();
        var warmupSeconds = new List<double>();
        try
        {
            for (var r = 0; r < request.Warmup + request.Repeats; r++)
            {
                var (prompt, seeds) = takes.Next(batch);
                var run = TimeOne(pipeline, settings with { Prompt = prompt }, seeds, cancellationToken);
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
            return BenchResult.Failed(batch, "out of device memory", memory?.TakePeak());
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
        {
            var reason = string.Join(' ', e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Console.Error.WriteLine($"sana bench: batch {batch}: failed: {reason}");
            return BenchResult.Failed(batch, reason, memory?.TakePeak());
        }

        var result = BenchResult.From(batch, runs, warmupSeconds, memory?.TakePeak(), baselineMemory, flopsPerImage, peakTflops);
        Console.Error.WriteLine(string.Create(inv,
            $"sana bench: batch {batch}: {result.ImagesPerSecond:F3} images/s ({result.MeanSeconds:F3}s per call, text {result.TextEncoderSeconds:F3}s, steps {result.TransformerSeconds:F3}s = {result.StepSeconds * 1000:F1} ms/step, decode {result.VaeDecodeSeconds:F3}s), peak {result.PeakMemoryMib?.ToString(inv) ?? "n/a"} MiB, utilisation {result.UtilisationPercent?.ToString("F1", inv) ?? "n/a"}%"));
        return result;
    }

    /// <summary>Each call's prompt and seeds: a new suffix per call so the prompt cache never answers, seeds counting on across calls.</summary>
    private sealed class BenchTakes(string prompt)
    {
        private ulong _seed;
        private int _call;

        public (string Prompt, ImageSeed[] Seeds) Next(int batch)
        {
            var seeds = new ImageSeed[batch];
            for (var i = 0; i < batch; i++)
            {
                seeds[i] = new ImageSeed(i, _seed++);
            }

            return (string.Create(CultureInfo.InvariantCulture, $"{prompt}, take {++_call}"), seeds);
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
        File.WriteAllText(Path.ChangeExtension(full, ".md"), report.ToMarkdown());
    }

    private static int BadInput(string message)
    {
        Console.Error.WriteLine($"sana bench: {message}");
        return ExitCodes.BadInput;
    }
}
