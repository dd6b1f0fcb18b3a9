using System.Globalization;

namespace Sana.Inference.Pipeline;

/// <summary>
/// A device a pipeline is bound to: "cpu" or "cuda:N". A CUDA device on a machine without the CUDA provider is an
/// error at load time, never a silent CPU fallback.
/// </summary>
public readonly record struct ExecutionDevice(ExecutionProviderKind Kind, int DeviceId)
{
    public static ExecutionDevice Cpu => new(ExecutionProviderKind.Cpu, 0);

    public static ExecutionDevice Cuda(int deviceId) => new(ExecutionProviderKind.Cuda, deviceId);

    /// <summary>Parses "cpu", "cuda" (device 0) or "cuda:N".</summary>
    public static ExecutionDevice Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu")
        {
            return Cpu;
        }

        if (t == "cuda")
        {
            return Cuda(0);
        }

        if (t.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return Cuda(id);
        }

        throw new FormatException($"device: '{text}' is not 'cpu', 'cuda' or 'cuda:N'");
    }

    public override string ToString() =>
        Kind == ExecutionProviderKind.Cpu ? "cpu" : string.Create(CultureInfo.InvariantCulture, $"cuda:{DeviceId}");
}
