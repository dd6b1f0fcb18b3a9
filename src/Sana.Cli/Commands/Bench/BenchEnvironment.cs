using System.Diagnostics;
using System.Globalization;
using Sana.Inference.Pipeline;

namespace Sana.Cli.Commands.Bench;

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
