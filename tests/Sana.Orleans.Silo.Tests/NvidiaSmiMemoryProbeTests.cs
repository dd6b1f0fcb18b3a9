using Microsoft.Extensions.Logging.Abstractions;
using Sana.Orleans.Grains.Telemetry;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Silo.Metrics;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NvidiaSmiMemoryProbeTests
{
    [Fact]
    public void Parse_reads_used_and_free_mib_per_device_as_bytes()
    {
        var parsed = NvidiaSmiMemoryProbe.Parse("0, 1024, 142000\n1, 80000, 63771\nNo devices\n");

        Assert.Equal([(0, new DeviceMemory(1024L << 20, 142000L << 20)), (1, new DeviceMemory(80000L << 20, 63771L << 20))], parsed);
    }

    [Fact]
    public async Task A_sample_from_nvidia_smi_answers_for_cuda_workers_and_the_process_answers_for_cpu_workers()
    {
        var folder = Directory.CreateTempSubdirectory("sana-smi-mem-").FullName;
        var script = Path.Combine(folder, "nvidia-smi");
        await File.WriteAllTextAsync(script, $"#!/bin/sh\n[ \"$*\" = \"{NvidiaSmiMemoryProbe.MemoryQueryArguments}\" ] || exit 9\necho '0, 2048, 6144'\necho '1, 100, 8092'\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var cuda1 = new GpuWorkerConfig(0, "cuda:1", "/m", 1);
            var cpu = new GpuWorkerConfig(1, "cpu", "/m", 1);
            var options = new WorkerOptions { NvidiaSmiPath = script };
            using var probe = new NvidiaSmiMemoryProbe(new StaticGpuInventory([cuda1, cpu]), Microsoft.Extensions.Options.Options.Create(options),
                NullLogger<NvidiaSmiMemoryProbe>.Instance);
            Assert.Equal(DeviceMemory.Unknown, probe.Read(cuda1)); // nothing sampled yet

            await probe.SampleAsync(CancellationToken.None);

            Assert.Equal(new DeviceMemory(100L << 20, 8092L << 20), probe.Read(cuda1));
            Assert.True(probe.Read(cpu).UsedBytes > 0);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
