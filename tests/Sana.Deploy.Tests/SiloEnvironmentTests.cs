using Sana.Deploy.Tests.Support;

namespace Sana.Deploy.Tests;

/// <summary>
/// The silo's environment file on the VMs: every Sana__ key names an options property the silo binds (checked against
/// the source under src/, so a renamed option breaks this test rather than a deployment), and the values put the silo
/// on Azure Table clustering, Azure Table grain storage and the blob image store, with the admin port on loopback.
/// </summary>
public sealed class SiloEnvironmentTests
{
    private static IReadOnlyDictionary<string, string> SiloEnv()
    {
        var root = CloudInit.Rendered(CompiledTemplate.MainTemplate, out _);
        return EnvFile.Parse(CloudInit.WrittenFile(root, "/etc/sana/silo.env"));
    }

    [Fact]
    public void Every_sana_key_in_the_environment_file_binds_to_a_silo_option()
    {
        var problems = SiloEnv().Keys
            .Where(k => k.StartsWith("Sana__", StringComparison.Ordinal))
            .Select(k => OptionsSource.Problem(k.Replace("__", ":", StringComparison.Ordinal)))
            .OfType<string>()
            .ToList();
        Assert.Empty(problems);
    }

    [Fact]
    public void Every_sana_key_in_the_dockerfile_binds_to_a_silo_option()
    {
        var keys = RepoPaths.ReadText("deploy", "Dockerfile").Split(' ', '\n', '\\')
            .Where(t => t.StartsWith("Sana__", StringComparison.Ordinal) && t.Contains('=', StringComparison.Ordinal))
            .Select(t => t[..t.IndexOf('=', StringComparison.Ordinal)].Replace("__", ":", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(keys);
        Assert.Empty(keys.Select(OptionsSource.Problem).OfType<string>());
    }

    [Fact]
    public void Silos_on_vms_cluster_through_azure_tables_and_store_images_in_blobs_by_identity()
    {
        var env = SiloEnv();
        Assert.Equal("AzureTable", env["Sana__Cluster__Clustering"]);
        Assert.Equal("https://sanaabc123.table.core.windows.net/", env["Sana__Cluster__TableServiceUri"]);
        Assert.Equal("sana", env["Sana__Cluster__ClusterId"]);
        Assert.Equal("AzureTable", env["Sana__Silo__GrainStorage"]);
        Assert.Equal("AzureBlob", env["Sana__ImageStore__Kind"]);
        Assert.Equal("https://sanaabc123.blob.core.windows.net/", env["Sana__ImageStore__ServiceUri"]);
        Assert.Equal("https://sanaabc123.blob.core.windows.net/models/sana-1600m/", env["Sana__ModelPath"]);
        // No secrets: no connection strings, keys or SAS tokens, only identity-based endpoints.
        Assert.DoesNotContain(env, e => e.Key.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(env, e => e.Value.Contains("AccountKey", StringComparison.OrdinalIgnoreCase) || e.Value.Contains("sig=", StringComparison.Ordinal));
    }

    [Fact]
    public void Silos_download_the_model_into_a_cache_that_survives_reboots_and_wait_for_a_model_still_uploading()
    {
        var env = SiloEnv();
        Assert.Equal("/var/lib/sana/models", env["Sana__ModelDownload__CacheDirectory"]);
        Assert.Equal("01:30:00", env["Sana__ModelDownload__WaitForUpload"]);
        Assert.Equal("", env["Sana__ModelDownload__ManifestSha256"]);
        // The systemd unit lets the silo write there (and nowhere else).
        Assert.Contains("ReadWritePaths=/var/lib/sana\n", RepoPaths.ReadText("deploy", "sana-silo.service"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_dashboard_and_health_endpoint_stay_on_loopback_and_gpu_vms_get_no_cpu_worker()
    {
        var env = SiloEnv();
        Assert.Equal("127.0.0.1", env["Sana__Silo__HttpAddress"]);
        Assert.Equal("0", env["Sana__Workers__CpuWorkers"]);
        Assert.Equal("11111", env["Sana__Silo__SiloPort"]);
        Assert.Equal("30000", env["Sana__Silo__GatewayPort"]);
    }
}
