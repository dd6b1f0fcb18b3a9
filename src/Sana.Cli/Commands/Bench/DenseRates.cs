namespace Sana.Cli.Commands.Bench;

/// <summary>
/// The dense bf16 rate a utilisation column divides by when --peak-tflops is not given: the rate a large bf16 matmul
/// reached on the GPUs our benchmarks ran on (benchmarks/results/), by the name nvidia-smi reports. Any other device,
/// the CPU included, has no known rate, and its report leaves utilisation out rather than quote another device's.
/// </summary>
internal static class DenseRates
{
    private static readonly (string NamePart, double Tflops)[] Measured = [("H200", 790), ("H100", 798)];

    public static double? TflopsOf(string? gpuName) =>
        gpuName is null ? null : Measured.FirstOrDefault(m => gpuName.Contains(m.NamePart, StringComparison.OrdinalIgnoreCase)) is { NamePart: not null } m ? m.Tflops : null;
}
