using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sana.Cli.Commands.Bench;

/// <summary>The model benched: its name, folder and each graph's dtype.</summary>
internal sealed record BenchModel(string Name, string Folder, string TextEncoderDtype, string TransformerDtype, string VaeDtype, int NumLayers, int? Hidden);

/// <summary>The generation settings every timed call used.</summary>
internal sealed record BenchSettings(int Width, int Height, int Steps, double GuidanceScale, string Scheduler, int Warmup, int Repeats, string Prompt);

/// <summary>The FLOP count the utilisation column divides by, and the device rate it is measured against.</summary>
internal sealed record BenchFlops(double PerForwardPerImage, double PerImage, double? PeakTflops, string Note);

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

    public static BenchResult From(int batch, List<BenchRun> runs, List<double> warmup, long? peak, long? baseline, double? flopsPerImage, double? peakTflops)
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
            UtilisationPercent = flopsPerImage is { } f && peakTflops is > 0 and var rate ? 100 * ips * f / (rate * 1e12) : null,
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

    /// <summary>The transformer graph that ran and why (the pipeline's <c>TransformerGraphChoice</c>).</summary>
    public string? TransformerGraph { get; init; }
    public bool Profiled { get; init; }
    public bool CudaLaunchBlocking { get; init; }
    public IReadOnlyList<TraceGraphSummary>? Profile { get; set; }
    public string CreatedUtc { get; init; } = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
    public List<BenchResult> Results { get; } = [];

    /// <summary>The results as a Markdown table, with the settings, the utilisation formula and any profile.</summary>
    public string ToMarkdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var s = Settings;
        var sb = new StringBuilder();
        sb.Append(inv, $"### sana bench: {Model.Name} ({Model.TransformerDtype} transformer, {Model.TextEncoderDtype} text encoder, {Model.VaeDtype} VAE) on {Device}");
        sb.Append(Environment.GpuName is { } g ? $" ({g})" : "").AppendLine();
        sb.AppendLine();
        sb.Append(inv, $"{s.Width}x{s.Height}, {s.Steps} steps, CFG {s.GuidanceScale}, DPM-Solver++; {s.Warmup} warm-up + {s.Repeats} timed calls per batch size; load {LoadSeconds:F1}s").AppendLine();
        sb.AppendLine();
        sb.AppendLine("| batch | images/s | s per call | text enc s | steps s | ms/step | decode s | peak MiB | util % |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in Results)
        {
            if (r.Error is { } error)
            {
                sb.Append(inv, $"| {r.BatchSize} | {error} | | | | | | {r.PeakMemoryMib?.ToString(inv) ?? "n/a"} | |").AppendLine();
                continue;
            }

            sb.Append(inv, $"| {r.BatchSize} | {r.ImagesPerSecond:F3} | {r.MeanSeconds:F3} | {r.TextEncoderSeconds:F3} | {r.TransformerSeconds:F3} | {r.StepSeconds * 1000:F1} | {r.VaeDecodeSeconds:F3} | {r.PeakMemoryMib?.ToString(inv) ?? "n/a"} | {r.UtilisationPercent?.ToString("F1", inv) ?? "n/a"} |").AppendLine();
        }

        if (Flops is { } f)
        {
            sb.AppendLine();
            sb.Append(inv, $"Utilisation: transformer FLOPs per image {f.PerImage / 1e12:F1} TFLOP ({f.PerForwardPerImage / 1e12:F3} TFLOP per forward per image; {f.Note}) x images/s over {(f.PeakTflops is { } rate ? $"{rate} TFLOP/s" : "the device's dense rate, unknown here (--peak-tflops gives it)")}.").AppendLine();
        }

        if (TransformerGraph is not null)
        {
            sb.Append("Transformer: ").Append(TransformerGraph).AppendLine().AppendLine();
        }

        if (CudaProviderOptions.Count > 0)
        {
            sb.AppendLine();
            sb.Append("CUDA provider options on top of ours: ").AppendJoin(", ", CudaProviderOptions.Select(o => $"{o.Key}={o.Value}")).AppendLine();
        }

        if (Profiled)
        {
            sb.AppendLine();
            sb.AppendLine("Profiled run: ONNX Runtime recorded every node, so the times above are slower than a plain run's.");
            if (Profile is { } profile)
            {
                sb.Append(OnnxTraceSummary.Markdown(profile, CudaLaunchBlocking));
            }
        }

        return sb.ToString();
    }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
