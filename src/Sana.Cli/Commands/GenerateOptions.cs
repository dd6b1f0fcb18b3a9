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

    public Option<string> Prompt { get; } = new("--prompt", "-p") { Description = "What to draw.", Required = true };
    public Option<string> NegativePrompt { get; } = new("--negative-prompt") { Description = "What to steer away from (default: empty).", DefaultValueFactory = _ => "" };
    public Option<int> Count { get; } = new("--count", "-n") { Description = "How many images; image i uses seed S+i.", DefaultValueFactory = _ => 1 };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "64-bit seed of image 0 (default: random, printed)." };
    public Option<int> Steps { get; } = new("--steps") { Description = "Denoising steps.", DefaultValueFactory = _ => 20 };
    public Option<double> GuidanceScale { get; } = new("--guidance-scale") { Description = "Classifier-free guidance; 1 turns it off.", DefaultValueFactory = _ => 4.5 };
    public Option<double> PagScale { get; } = new("--pag-scale") { Description = "Perturbed-attention guidance; 0 turns it off.", DefaultValueFactory = _ => 0.0 };
    public Option<string> PagLayers { get; } = new("--pag-layers") { Description = "Comma-separated transformer block indices for PAG (diffusers' transformer_blocks.N).", DefaultValueFactory = _ => "0" };
    public Option<int?> Width { get; } = new("--width") { Description = "Image width in pixels, a multiple of the model's pixel factor (default: the model's native size)." };
    public Option<int?> Height { get; } = new("--height") { Description = "Image height in pixels (default: the model's native size)." };
    public Option<string> Scheduler { get; } = new("--scheduler") { Description = "dpm (DPM-Solver++, the hub default) or euler (flow-match Euler).", DefaultValueFactory = _ => "dpm" };
    public Option<string?> Model { get; } = new("--model") { Description = "Model folder made by tools/export/export_sana.py (default: the bundled tiny model)." };
    public Option<string> Out { get; } = new("--out", "-o") { Description = "Output folder of the in-process cluster's image store: images land in OUT/JOB-ID/.", DefaultValueFactory = _ => "out" };
    public Option<string> Device { get; } = new("--device") { Description = "Workers of the in-process cluster: auto (every NVIDIA GPU, else the CPU), cpu, cuda:N, or a comma list.", DefaultValueFactory = _ => "auto" };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Images per transformer call on each worker (micro-batch); 0 sizes it from free GPU memory.", DefaultValueFactory = _ => 1 };
    public Option<string?> Cluster { get; } = new("--cluster") { Description = "Submit to a running cluster: localhost[:PORT,...], an Azure Storage connection string or a table endpoint URI. Without it, an in-process cluster runs the job." };
    public Option<string> ClusterId { get; } = new("--cluster-id") { Description = "The cluster id to join with --cluster.", DefaultValueFactory = _ => "sana" };
    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Show the cluster's warnings and errors as they happen." };
    public Option<string[]> CudaOptions { get; } = new("--cuda-option") { Description = "A CUDA provider option KEY=VALUE for the in-process cluster's GPU workers, on top of ours (repeatable), e.g. prefer_nhwc=0. A running cluster's silos take Sana:Workers:CudaProviderOptions instead." };
    public Option<string> TransformerGraph { get; } = new("--transformer-graph") { Description = "The in-process cluster's transformer graph: auto (the model folder's kernels graph on CUDA when the kernel library loads), portable or kernels.", DefaultValueFactory = _ => "auto" };
    public Option<string?> JobId { get; } = new("--job-id") { Description = "Job id (letters, digits, '-', '_'); submitting the same id again does not run the job twice. Default: a new id." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Prompt, NegativePrompt, Count, Seed, Steps, GuidanceScale, PagScale, PagLayers, Width, Height, Scheduler, Model, Out, Device, BatchSize, Cluster, ClusterId, JobId, Verbose, CudaOptions, TransformerGraph })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Checks what can be checked without the model; throws <see cref="GenerationRequestException"/>.</summary>
    public GenerateRequest Read(ParseResult parse)
    {
        var count = parse.GetValue(Count);
        if (count is < 1 or > MaxCount)
        {
            throw new GenerationRequestException("count", string.Create(CultureInfo.InvariantCulture, $"{count} is outside 1..{MaxCount}"));
        }

        var batch = parse.GetValue(BatchSize);
        if (batch is < 0 or > MaxBatchSize)
        {
            throw new GenerationRequestException("batch-size", string.Create(CultureInfo.InvariantCulture, $"{batch} is outside 0..{MaxBatchSize}"));
        }

        var sampler = parse.GetValue(Scheduler)?.Trim().ToLowerInvariant() switch
        {
            "dpm" or "dpm++" or "dpmsolver" => JobSampler.DpmSolver,
            "euler" => JobSampler.Euler,
            var other => throw new GenerationRequestException("scheduler", $"'{other}' is not dpm or euler"),
        };

        var devices = parse.GetValue(Device) ?? "auto";
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
            throw new GenerationRequestException(e.Message);
        }

        var cluster = parse.GetValue(Cluster);
        if (cluster is not null)
        {
            try
            {
                Sana.Cli.Cluster.ClusterAddress.Apply(cluster, parse.GetValue(ClusterId) ?? "sana", new Sana.Orleans.Client.SanaClusterOptions());
            }
            catch (FormatException e)
            {
                throw new GenerationRequestException(e.Message);
            }
        }

        IReadOnlyDictionary<string, string> cudaOptions;
        TransformerGraphPreference transformerGraph;
        try
        {
            transformerGraph = TransformerGraphPreferences.Parse(parse.GetValue(TransformerGraph) ?? "auto", "transformer-graph");
            cudaOptions = CudaProviderSettings.Parse(parse.GetValue(CudaOptions) ?? [], "cuda-option");
            // "auto" may find GPUs; only an explicit CPU worker is sure to have none
            CudaProviderSettings.RequireCudaDevice(cudaOptions,
                !string.Equals(devices.Trim(), "cpu", StringComparison.OrdinalIgnoreCase), devices.Trim(), "cuda-option");
        }
        catch (FormatException e)
        {
            throw new GenerationRequestException(e.Message);
        }

        if (cudaOptions.Count > 0 && cluster is not null)
        {
            throw new GenerationRequestException("cuda-option", "only for the in-process cluster (a running cluster's silos take Sana:Workers:CudaProviderOptions)");
        }

        if (transformerGraph != TransformerGraphPreference.Auto && cluster is not null)
        {
            throw new GenerationRequestException("transformer-graph", "only for the in-process cluster (a running cluster's silos take Sana:Workers:TransformerGraph)");
        }

        var job = new ImageJobRequest
        {
            Prompt = parse.GetValue(Prompt) ?? "",
            NegativePrompt = parse.GetValue(NegativePrompt) ?? "",
            Count = count,
            Steps = parse.GetValue(Steps),
            GuidanceScale = parse.GetValue(GuidanceScale),
            PagScale = parse.GetValue(PagScale),
            PagLayers = [.. ParseLayers(parse.GetValue(PagLayers) ?? "")],
            Sampler = sampler,
            Seed = parse.GetValue(Seed) ?? (ulong)Random.Shared.NextInt64(0, int.MaxValue),
        };
        var jobId = parse.GetValue(JobId) ?? string.Create(CultureInfo.InvariantCulture, $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}");
        return new GenerateRequest(job, parse.GetValue(Width), parse.GetValue(Height), batch, parse.GetValue(Model),
            parse.GetValue(Out) ?? "out", devices, cluster, parse.GetValue(ClusterId) ?? "sana", jobId, parse.GetValue(Verbose))
        {
            CudaProviderOptions = cudaOptions,
            TransformerGraph = transformerGraph,
        };
    }

    internal static IReadOnlyList<int> ParseLayers(string text)
    {
        var layers = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var digits = part.StartsWith("transformer_blocks.", StringComparison.Ordinal) ? part["transformer_blocks.".Length..] : part;
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var layer))
            {
                throw new GenerationRequestException("pag-layers", $"'{part}' is not a block index (e.g. 0,8 or transformer_blocks.8)");
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
}
