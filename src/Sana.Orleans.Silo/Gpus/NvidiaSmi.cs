using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Sana.Orleans.Silo.Gpus;

/// <summary>An NVIDIA GPU as nvidia-smi reports it; memory in MiB.</summary>
public sealed record DiscoveredGpu(int Index, string Name, long MemoryTotalMiB, long MemoryFreeMiB);

/// <summary>
/// Lists NVIDIA GPUs through <c>nvidia-smi --query-gpu</c>: present wherever the driver is, no native binding needed.
/// A machine without nvidia-smi (or whose driver fails) has no GPUs, which is not an error: the silo runs CPU workers.
/// </summary>
public sealed partial class NvidiaSmi(ILogger<NvidiaSmi> logger)
{
    public const string QueryArguments = "--query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>The GPUs nvidia-smi at <paramref name="path"/> reports; empty when it is missing, fails or times out.</summary>
    public IReadOnlyList<DiscoveredGpu> Discover(string path)
    {
        var info = new ProcessStartInfo(path, QueryArguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(info);
            if (process is null)
            {
                return [];
            }

            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                LogFailed(path, $"no answer within {Timeout.TotalSeconds}s");
                return [];
            }

            if (process.ExitCode != 0)
            {
                LogFailed(path, $"exit code {process.ExitCode}: {stderr.GetAwaiter().GetResult().Trim()}");
                return [];
            }

            var gpus = Parse(stdout.GetAwaiter().GetResult());
            foreach (var gpu in gpus)
            {
                LogFound(gpu.Index, gpu.Name, gpu.MemoryFreeMiB, gpu.MemoryTotalMiB);
            }

            return gpus;
        }
        catch (Win32Exception)
        {
            LogNotPresent(path);
            return [];
        }
    }

    /// <summary>Runs nvidia-smi with <paramref name="arguments"/>; its stdout, or null when missing, failing or slow.</summary>
    public static async Task<string?> RunAsync(string path, string arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(path, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        try
        {
            using var process = Process.Start(info);
            if (process is null)
            {
                return null;
            }

            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(Timeout);
            var stdout = process.StandardOutput.ReadToEndAsync(bound.Token);
            _ = process.StandardError.ReadToEndAsync(bound.Token);
            try
            {
                await process.WaitForExitAsync(bound.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            return process.ExitCode == 0 ? await stdout.ConfigureAwait(false) : null;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Parses the CSV nvidia-smi prints for <see cref="QueryArguments"/>; lines it cannot read are skipped.</summary>
    public static IReadOnlyList<DiscoveredGpu> Parse(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var gpus = new List<DiscoveredGpu>();
        foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length == 4
                && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var total)
                && long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var free))
            {
                gpus.Add(new DiscoveredGpu(index, fields[1], total, free));
            }
        }

        return gpus;
    }
}
