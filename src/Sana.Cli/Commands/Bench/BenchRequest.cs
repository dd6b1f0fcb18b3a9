using Sana.Inference.Pipeline;

namespace Sana.Cli.Commands.Bench;

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
    double? PeakTflops,
    int SampleMs,
    string? Label,
    IReadOnlyDictionary<string, string> CudaOptions,
    bool Profile,
    TransformerGraphPreference TransformerGraph = TransformerGraphPreference.Auto,
    string? KernelLibraryPath = null,
    bool CudaGraphs = false);
