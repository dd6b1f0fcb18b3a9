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
            Assert.Contains("--width: 30 must be a multiple of 4", stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(_store, "bad")));

            // No size given: the model's native size, as in-process, and the header says which.
            (code, _, stderr) = SanaProcess.Run("generate", "--cluster", $"localhost:{gateway}", "--cluster-id", clusterId,
                "-p", "a kite", "--steps", "2", "--job-id", "native");
            Assert.True(code == 0, stderr);
            Assert.Contains("1 image(s) 128x128", stderr, StringComparison.Ordinal);
            var native = Directory.GetFiles(Path.Combine(_store, "native"), "*.png").Single();
            Assert.Equal("128x128", Sana.Inference.Imaging.ImageEncoder.ReadPngText(File.ReadAllBytes(native))["size"]);

            // Ctrl+C stops following a cluster's job but leaves it running; `sana cancel` stops it.
            using (var follower = SanaProcess.Start("generate", "--cluster", $"localhost:{gateway}", "--cluster-id", clusterId,
                "-p", "a kite", "-n", "2000", "--steps", "2", "--width", "32", "--height", "32", "--job-id", "left"))
            {
                follower.WaitForStdOutLines(2, TimeSpan.FromMinutes(2));
                follower.Signal("INT");
                Assert.Equal(130, follower.WaitForExit(TimeSpan.FromSeconds(20)));
                Assert.Contains(follower.StdErr, l => l.StartsWith("sana: interrupted: stopped following job left at ", StringComparison.Ordinal)
                    && l.Contains("`sana cancel --job-id left`", StringComparison.Ordinal));
            }

            var storedWhenLeft = Directory.GetFiles(Path.Combine(_store, "left"), "*.png").Length;
            for (var wait = System.Diagnostics.Stopwatch.StartNew(); Directory.GetFiles(Path.Combine(_store, "left"), "*.png").Length == storedWhenLeft;)
            {
                Assert.True(wait.Elapsed < TimeSpan.FromSeconds(30), "the job went on after its follower left");
                Thread.Sleep(100);
            }

            (code, _, stderr) = SanaProcess.Run("cancel", "--cluster", $"localhost:{gateway}", "--cluster-id", clusterId, "--job-id", "left");
            Assert.True(code == 0, stderr);
            Assert.Matches(@"^sana: job left is cancelled with \d+/2000 image\(s\) stored", stderr);
            (code, _, stderr) = SanaProcess.Run("cancel", "--cluster", $"localhost:{gateway}", "--cluster-id", clusterId, "--job-id", "never-submitted");
            Assert.Equal(2, code);
            Assert.Contains("--job-id: no job 'never-submitted'", stderr, StringComparison.Ordinal);
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
