using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Telemetry;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Silo.Gpus;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Metrics;

/// <summary>
/// Device memory of this silo's workers: NVIDIA GPUs from <c>nvidia-smi --query-gpu=index,memory.used,memory.free</c>,
/// sampled every <see cref="WorkerOptions.MemorySampleInterval"/> in the background (a scrape never waits for
/// nvidia-smi), CPU workers from this process. Samples nothing on a silo without CUDA workers.
/// </summary>
public sealed partial class NvidiaSmiMemoryProbe(
    IGpuInventory inventory,
    IOptions<WorkerOptions> options,
    ILogger<NvidiaSmiMemoryProbe> logger) : BackgroundService, IDeviceMemoryProbe
{
    public const string MemoryQueryArguments = "--query-gpu=index,memory.used,memory.free --format=csv,noheader,nounits";
    private const long MiB = 1024 * 1024;

    private readonly ConcurrentDictionary<int, DeviceMemory> _byIndex = new();

    public DeviceMemory Read(GpuWorkerConfig worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        var device = ExecutionDevice.Parse(worker.Device);
        if (device.Kind == ExecutionProviderKind.Cpu)
        {
            return ProcessMemoryProbe.ForProcess();
        }

        return _byIndex.TryGetValue(device.DeviceId, out var memory) ? memory : DeviceMemory.Unknown;
    }

    /// <summary>Takes one sample now (the background loop calls it; tests too).</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        var output = await NvidiaSmi.RunAsync(options.Value.NvidiaSmiPath, MemoryQueryArguments, cancellationToken).ConfigureAwait(false);
        if (output is null)
        {
            LogSampleFailed(logger, options.Value.NvidiaSmiPath);
            return;
        }

        foreach (var (index, memory) in Parse(output))
        {
            _byIndex[index] = memory;
        }
    }

    /// <summary>Parses "index, used MiB, free MiB" lines; unreadable lines are skipped.</summary>
    public static IReadOnlyList<(int Index, DeviceMemory Memory)> Parse(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var result = new List<(int, DeviceMemory)>();
        foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(',', StringSplitOptions.TrimEntries);
            if (f.Length == 3
                && int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var used)
                && long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var free))
            {
                result.Add((index, new DeviceMemory(used * MiB, free * MiB)));
            }
        }

        return result;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!inventory.Workers.Any(w => ExecutionDevice.Parse(w.Device).Kind == ExecutionProviderKind.Cuda))
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.MemorySampleInterval);
        do
        {
            await SampleAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
