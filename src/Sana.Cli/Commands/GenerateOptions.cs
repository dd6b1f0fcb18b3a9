using System.CommandLine;
using System.Globalization;
using Sana.Inference.Onnx;
using Sana.Inference.Pipeline;
using Sana.Orleans.Jobs;

namespace Sana.Cli.Commands;

/// <summary>The options of `sana generate`, parsed into the request they describe.</summary>
internal sealed class GenerateOptions
{
    public const int MaxCount = 100_000;
    public const int MaxBatchSize = 256;

    public Option<string?> Prompt { get; } = new("--prompt", "-p") { Description = $"What to draw (up to {GenerationLimits.MaxPromptChars} characters); this or --prompts is required." };
    public Option<string?> Prompts { get; } = new("--prompts") { Description = "A job of many prompts from FILE, one a line: JSON lines ({\"prompt\": ..., \"negative_prompt\": ..., \"count\": ..., \"seed\": ...}) or CSV with a header of those columns; an item without a count takes --count, without a seed it continues the job's seeds. A manifest.jsonl beside the images lists every image with its item." };
    public Option<string> NegativePrompt { get; } = new("--negative-prompt") { Description = "What to steer away from (default: empty).", DefaultValueFactory = _ => "" };
    public Option<int> Count { get; } = NumberOptions.Whole("--count", 1, MaxCount, 1, "How many images; image i uses seed S+i", "-n");
    public Option<ulong?> Seed { get; } = NumberOptions.OptionalWhole("--seed", ulong.MinValue, ulong.MaxValue, "64-bit seed of image 0 (default: random, printed)");
    public Option<int> Steps { get; } = NumberOptions.Whole("--steps", 1, GenerationLimits.MaxSteps, 20, "Denoising steps");
    public Option<double> GuidanceScale { get; } = NumberOptions.Real("--guidance-scale", 4.5, $"Classifier-free guidance, 0..{GenerationLimits.MaxGuidanceScale}; 1 turns it off (default 4.5).");
    public Option<double> PagScale { get; } = NumberOptions.Real("--pag-scale", 0.0, $"Perturbed-attention guidance, 0..{GenerationLimits.MaxPagScale}; 0 turns it off (default 0).");
    public Option<string> PagLayers { get; } = new("--pag-layers") { Description = "Comma-separated transformer block indices for PAG (diffusers' transformer_blocks.N).", DefaultValueFactory = _ => "0" };
    public Option<int?> Width { get; } = NumberOptions.OptionalWhole("--width", 1, GenerationLimits.MaxSide, "Image width in pixels, a multiple of the model's pixel factor (32 for Sana, 4 for the tiny model); default: the model's native size");
    public Option<int?> Height { get; } = NumberOptions.OptionalWhole("--height", 1, GenerationLimits.MaxSide, "Image height in pixels, a multiple of the model's pixel factor; default: the model's native size");
    public Option<string> Scheduler { get; } = new("--scheduler") { Description = "dpm (DPM-Solver++, the hub default) or euler (flow-match Euler).", DefaultValueFactory = _ => "dpm" };
    public Option<string?> Model { get; } = new("--model") { Description = "Model folder made by tools/export/export_sana.py (default: the bundled tiny model)." };
    public Option<string> Out { get; } = new("--out", "-o") { Description = "Output folder of the in-process cluster's image store: images land in OUT/JOB-ID/ (checked writable before the job starts).", DefaultValueFactory = _ => "out" };
    public Option<string> Device { get; } = new("--device") { Description = "Workers of the in-process cluster: auto (every NVIDIA GPU, else the CPU), cpu, cuda:N, or a comma list.", DefaultValueFactory = _ => "auto" };
    public Option<int> BatchSize { get; } = NumberOptions.Whole("--batch-size", 0, MaxBatchSize, 1, "Images per transformer call on each worker (micro-batch); 0 sizes it from free GPU memory");
    public Option<string?> Cluster { get; } = new("--cluster") { Description = "Submit to a running cluster: localhost[:PORT,...], an Azure Storage connection string or a table endpoint URI. Without it, an in-process cluster runs the job." };
    public Option<string> ClusterId { get; } = new("--cluster-id") { Description = "The cluster id to join with --cluster.", DefaultValueFactory = _ => "sana" };
    public Option<bool> CancelOnInterrupt { get; } = new("--cancel-on-interrupt") { Description = "With --cluster: Ctrl+C cancels the job on the cluster. Without this flag Ctrl+C only stops following it (the job goes on; `sana cancel` stops it). The in-process cluster's job is always cancelled." };
    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Show the cluster's warnings and errors as they happen." };
    public Option<string[]> CudaOptions { get; } = new("--cuda-option") { Description = "A CUDA provider option KEY=VALUE for the in-process cluster's GPU workers, on top of ours (repeatable), e.g. prefer_nhwc=0. A running cluster's silos take Sana:Workers:CudaProviderOptions instead." };
    public Option<string> TransformerGraph { get; } = new("--transformer-graph") { Description = "The in-process cluster's transformer graph: auto (the model folder's kernels graph on CUDA when the kernel library loads), portable or kernels.", DefaultValueFactory = _ => "auto" };
    public Option<string?> JobId { get; } = new("--job-id") { Description = "Job id: 1..128 of A-Z, a-z, 0-9, '-', '_', '.' (not starting with '.'); submitting the same id again does not run the job twice. Default: a new id." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Prompt, Prompts, NegativePrompt, Count, Seed, Steps, GuidanceScale, PagScale, PagLayers, Width, Height, Scheduler, Model, Out, Device, BatchSize, Cluster, ClusterId, CancelOnInterrupt, JobId, Verbose, CudaOptions, TransformerGraph })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>
    /// Checks what can be checked without the model (the numbers' ranges are their parsers'); throws
    /// <see cref="CommandLineException"/>.
    /// </summary>
    public GenerateRequest Read(ParseResult parse)
    {
        var devices = parse.GetValue(Device) ?? "auto";
        CheckDevices(devices);
        var cluster = parse.GetValue(Cluster);
        var clusterId = parse.GetValue(ClusterId) ?? "sana";
        CheckCluster(cluster, clusterId);
        var (cudaOptions, transformerGraph) = ReadInProcessOnly(parse, devices, cluster);
        var seed = parse.GetValue(Seed) ?? (ulong)Random.Shared.NextInt64(0, int.MaxValue);
        var promptFile = ReadPrompts(parse, seed);
        var job = new ImageJobRequest
        {
            Prompt = promptFile is null ? parse.GetValue(Prompt) ?? "" : "",
            NegativePrompt = promptFile is null ? parse.GetValue(NegativePrompt) ?? "" : "",
            Items = promptFile?.Items,
            Count = promptFile is null ? parse.GetValue(Count) : 1,
            Steps = parse.GetValue(Steps),
            GuidanceScale = parse.GetValue(GuidanceScale),
            PagScale = parse.GetValue(PagScale),
            PagLayers = [.. ParseLayers(parse.GetValue(PagLayers) ?? "")],
            Sampler = ParseScheduler(parse.GetValue(Scheduler)),
            Seed = seed,
        };
        var jobId = parse.GetValue(JobId) ?? string.Create(CultureInfo.InvariantCulture, $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}");
        return new GenerateRequest(job, parse.GetValue(Width), parse.GetValue(Height), parse.GetValue(BatchSize), parse.GetValue(Model),
            parse.GetValue(Out) ?? "out", devices, cluster, clusterId, jobId, parse.GetValue(Verbose))
        {
            CudaProviderOptions = cudaOptions,
            TransformerGraph = transformerGraph,
            CancelOnInterrupt = parse.GetValue(CancelOnInterrupt),
            PromptLines = promptFile?.Lines,
        };
    }

    /// <summary>The items of --prompts, or null for a job of one --prompt; exactly one of the two is given.</summary>
    private PromptFile? ReadPrompts(ParseResult parse, ulong seed)
    {
        var path = parse.GetValue(Prompts);
        var prompt = parse.GetValue(Prompt);
        if (path is null)
        {
            return string.IsNullOrEmpty(prompt)
                ? throw new CommandLineException($"--prompt is required: what to draw (or --prompts FILE: many prompts, one a line)")
                : null;
        }

        return prompt is not null
            ? throw new CommandLineException("--prompts", "takes the place of --prompt: give one of them")
            : PromptFile.Read(path, parse.GetValue(Count), parse.GetValue(NegativePrompt) ?? "", seed, MaxCount);
    }

    private static JobSampler ParseScheduler(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "dpm" or "dpm++" or "dpmsolver" => JobSampler.DpmSolver,
        "euler" => JobSampler.Euler,
        var other => throw new CommandLineException("--scheduler", $"'{other}' is not dpm or euler"),
    };

    private static void CheckDevices(string devices)
    {
        try
        {
            foreach (var d in devices.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!string.Equals(d, "auto", StringComparison.OrdinalIgnoreCase))
                {
                    _ = ExecutionDevice.Parse(d);
                }
            }
        }
        catch (FormatException e)
        {
            throw new CommandLineException("--" + e.Message);
        }
    }

    private static void CheckCluster(string? cluster, string clusterId)
    {
        try
        {
            if (cluster is not null)
            {
                Sana.Cli.Cluster.ClusterAddress.Apply(cluster, clusterId, new Sana.Orleans.Client.SanaClusterOptions());
            }
        }
        catch (FormatException e)
        {
            throw new CommandLineException("--" + e.Message);
        }
    }

    /// <summary>The in-process cluster's own settings (--cuda-option, --transformer-graph): refused with --cluster.</summary>
    private (IReadOnlyDictionary<string, string> CudaOptions, TransformerGraphPreference Graph) ReadInProcessOnly(ParseResult parse, string devices, string? cluster)
    {
        IReadOnlyDictionary<string, string> cudaOptions;
        TransformerGraphPreference transformerGraph;
        try
        {
            transformerGraph = TransformerGraphPreferences.Parse(parse.GetValue(TransformerGraph) ?? "auto", "--transformer-graph");
            cudaOptions = CudaProviderSettings.Parse(parse.GetValue(CudaOptions) ?? [], "--cuda-option");
            // "auto" may find GPUs; only an explicit CPU worker is sure to have none
            CudaProviderSettings.RequireCudaDevice(cudaOptions,
                !string.Equals(devices.Trim(), "cpu", StringComparison.OrdinalIgnoreCase), devices.Trim(), "--cuda-option");
        }
        catch (FormatException e)
        {
            throw new CommandLineException(e.Message);
        }

        if (cudaOptions.Count > 0 && cluster is not null)
        {
            throw new CommandLineException("--cuda-option", "only for the in-process cluster (a running cluster's silos take Sana:Workers:CudaProviderOptions)");
        }

        if (transformerGraph != TransformerGraphPreference.Auto && cluster is not null)
        {
            throw new CommandLineException("--transformer-graph", "only for the in-process cluster (a running cluster's silos take Sana:Workers:TransformerGraph)");
        }

        return (cudaOptions, transformerGraph);
    }

    internal static IReadOnlyList<int> ParseLayers(string text)
    {
        var layers = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var digits = part.StartsWith("transformer_blocks.", StringComparison.Ordinal) ? part["transformer_blocks.".Length..] : part;
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var layer))
            {
                throw new CommandLineException("--pag-layers", $"'{part}' is not a block index (e.g. 0,8 or transformer_blocks.8)");
            }

            layers.Add(layer);
        }

        return layers;
    }
}

/// <summary>
/// A parsed `sana generate` request. Width and height fall back to the model's native size (in-process) or 1024
/// (a remote cluster, whose model this process does not see).
/// </summary>
internal sealed record GenerateRequest(
    ImageJobRequest Job,
    int? Width,
    int? Height,
    int BatchSize,
    string? ModelPath,
    string OutputFolder,
    string Devices,
    string? Cluster,
    string ClusterId,
    string JobId,
    bool Verbose)
{
    /// <summary>CUDA provider options of the in-process cluster's GPU workers (--cuda-option).</summary>
    public IReadOnlyDictionary<string, string> CudaProviderOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>The in-process cluster's transformer graph (--transformer-graph).</summary>
    public TransformerGraphPreference TransformerGraph { get; init; } = TransformerGraphPreference.Auto;

    /// <summary>Whether Ctrl+C cancels a running cluster's job instead of leaving it running (--cancel-on-interrupt).</summary>
    public bool CancelOnInterrupt { get; init; }

    /// <summary>The --prompts file's line of each item, so that the cluster's errors about item k name its line.</summary>
    public IReadOnlyList<int>? PromptLines { get; init; }
}
