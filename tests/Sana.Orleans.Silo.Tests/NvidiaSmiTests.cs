using Microsoft.Extensions.Logging.Abstractions;
using Sana.Orleans.Silo.Gpus;

namespace Sana.Orleans.Silo.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NvidiaSmiTests
{
    [Fact]
    public void Parse_reads_index_name_and_memory_of_each_gpu_and_skips_noise()
    {
        var gpus = NvidiaSmi.Parse("0, NVIDIA H200, 143771, 143000\n1, NVIDIA H200, 143771, 20000\n\nNo devices were found\n");

        Assert.Equal([new DiscoveredGpu(0, "NVIDIA H200", 143771, 143000), new DiscoveredGpu(1, "NVIDIA H200", 143771, 20000)], gpus);
    }

    [Fact]
    public void A_machine_without_nvidia_smi_has_no_gpus()
    {
        var smi = new NvidiaSmi(NullLogger<NvidiaSmi>.Instance);

        Assert.Empty(smi.Discover("/nonexistent/nvidia-smi"));
    }

    [Fact]
    public void Discover_runs_nvidia_smi_with_the_query_and_parses_its_answer()
    {
        var folder = Directory.CreateTempSubdirectory("sana-smi-").FullName;
        var script = Path.Combine(folder, "nvidia-smi");
        File.WriteAllText(script, $"#!/bin/sh\n[ \"$*\" = \"{NvidiaSmi.QueryArguments}\" ] || exit 9\necho '0, Fake GPU, 8192, 8000'\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var gpus = new NvidiaSmi(NullLogger<NvidiaSmi>.Instance).Discover(script);

            Assert.Equal([new DiscoveredGpu(0, "Fake GPU", 8192, 8000)], gpus);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_failing_nvidia_smi_means_no_gpus_rather_than_a_failed_start()
    {
        var folder = Directory.CreateTempSubdirectory("sana-smi-").FullName;
        var script = Path.Combine(folder, "nvidia-smi");
        File.WriteAllText(script, "#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            Assert.Empty(new NvidiaSmi(NullLogger<NvidiaSmi>.Instance).Discover(script));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
