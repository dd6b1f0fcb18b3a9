using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sana.Cli.Tests;

/// <summary>`sana silo`, `sana workers` and `sana generate --cluster` together, as separate real processes on loopback.</summary>
public sealed class ClusterCommandsTests : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("sana-cli-silo-").FullName;

    public void Dispose() => Directory.Delete(_store, recursive: true);

    [Fact]
    public void A_silo_process_serves_workers_and_jobs_to_the_cli()
    {
        var siloPort = FreePort();
        var gateway = FreePort().ToString(CultureInfo.InvariantCulture);
        var clusterId = "cli-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        using var silo = SanaProcess.StartUntil("sana-silo ready", TimeSpan.FromMinutes(3),
            "silo", "--Sana:Silo:Name=cli-silo", $"--Sana:Silo:SiloPort={siloPort}", $"--Sana:Silo:PrimarySiloPort={siloPort}",
            $"--Sana:Silo:GatewayPort={gateway}", $"--Sana:Silo:HttpPort={FreePort()}", $"--Sana:Cluster:ClusterId={clusterId}",
            $"--Sana:ImageStore:Path={_store}", "--Sana:Workers:Devices:0=cpu", "--Sana:Workers:Devices:1=cpu");
        try
        {
            var (code, stdout, stderr) = SanaProcess.Run("workers", "--cluster", $"localhost:{gateway}", "--cluster-id", clusterId);
            Assert.True(code == 0, stderr);
            Assert.Contains("cli-silo/gpu0", stdout, StringComparison.Ordinal);
            Assert.Contains("cli-silo/gpu1", stdout, StringComparison.Ordinal);
            Assert.Contains("tiny-sana", stdout, StringComparison.Ordinal);

            (code, stdout, stderr) = SanaProcess.Run("generate", "--cluster", $"localhost:{gateway}", "--cluster-id", clusterId,
                "-p", "a kite", "-n", "5", "--seed", "3", "--steps", "2", "--width", "32", "--height", "32", "--job-id", "remote");
            Assert.True(code == 0, stderr);
            Assert.Equal(5, Directory.GetFiles(Path.Combine(_store, "remote"), "*.png").Length);
            Assert.Equal(5, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

            // The same job id again is the same job: nothing runs twice, the answer is the finished job.
            (code, _, stderr) = SanaProcess.Run("generate", "--cluster", $"localhost:{gateway}", "--cluster-id", clusterId,
                "-p", "a kite", "-n", "5", "--seed", "3", "--steps", "2", "--width", "32", "--height", "32", "--job-id", "remote");
            Assert.True(code == 0, stderr);
            Assert.Equal(5, Directory.GetFiles(Path.Combine(_store, "remote"), "*.png").Length);

            (code, _, stderr) = SanaProcess.Run("generate", "--cluster", $"localhost:{gateway}", "--cluster-id", clusterId,
                "-p", "a kite", "--width", "30", "--job-id", "bad");
            Assert.Equal(2, code);
            Assert.Contains("width: 30 must be a multiple of 4", stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(_store, "bad")));
        }
        finally
        {
            silo.Kill(entireProcessTree: true);
            silo.WaitForExit(30_000);
        }
    }

    [Fact]
    public void Workers_of_an_unreachable_cluster_fail_with_a_clear_line()
    {
        var (code, _, stderr) = SanaProcess.Run("workers", "--cluster", $"localhost:{FreePort()}", "--cluster-id", "nobody-home");
        Assert.Equal(1, code);
        Assert.Contains("cannot reach the cluster 'nobody-home'", stderr, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
