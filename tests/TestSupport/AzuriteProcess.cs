using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sana.TestSupport;

/// <summary>
/// A real Azurite (blob, queue and table services) on 127.0.0.1, in a temp folder this instance owns. The first start
/// lets the OS pick free ports and reads them from Azurite's own "listening at" lines (no port race); a restart reuses
/// them and the folder, so tests can take storage away and bring it back with its data. Dispose stops it and deletes
/// the folder.
/// </summary>
public sealed partial class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's fixed development account; it accepts no other.</summary>
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(15);
    private readonly string _folder = Directory.CreateTempSubdirectory("sana-azurite-").FullName;
    private readonly StringBuilder _output = new();
    private Process? _process;
    private int ClosedCountBefore { get; set; }

    public int BlobPort { get; private set; }
    public int QueuePort { get; private set; }
    public int TablePort { get; private set; }

    /// <summary>A connection string for all three services, usable by Azure SDK clients and Orleans' Azure providers.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture,
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};"
        + $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};"
        + $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};"
        + $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts Azurite and waits (bounded) until all three services listen.</summary>
    public static async Task<AzuriteProcess> StartNewAsync(CancellationToken cancellationToken = default)
    {
        var azurite = new AzuriteProcess();
        try
        {
            await azurite.StartAsync(cancellationToken).ConfigureAwait(false);
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts a stopped Azurite again on the same ports with the same data.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            return;
        }

        var script = await AzuriteLocator.FindScriptAsync(cancellationToken).ConfigureAwait(false);
        var info = new ProcessStartInfo(AzuriteLocator.FindNode())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder,
        };
        foreach (var arg in new[]
        {
            script, "--location", _folder, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", Port(BlobPort),
            "--queueHost", "127.0.0.1", "--queuePort", Port(QueuePort),
            "--tableHost", "127.0.0.1", "--tablePort", Port(TablePort),
        })
        {
            info.ArgumentList.Add(arg);
        }

        var blob = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queue = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var table = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(e.Data);
            }

            var match = ListeningLine().Match(e.Data);
            if (match.Success)
            {
                var port = int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture);
                (match.Groups["service"].Value switch { "Blob" => blob, "Queue" => queue, _ => table }).TrySetResult(port);
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Exited += (_, _) => exited.TrySetResult(0);
        ClosedCountBefore = ClosedLine().Count(Output);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;

        var ready = Task.WhenAll(blob.Task, queue.Task, table.Task);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var first = await Task.WhenAny(ready, exited.Task, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false);
        if (first != ready)
        {
            await StopAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new InvalidOperationException(
                $"Azurite ({script}) did not start listening within {StartTimeout.TotalSeconds}s. Its output:\n{Output}");
        }

        (BlobPort, QueuePort, TablePort) = (blob.Task.Result, queue.Task.Result, table.Task.Result);
    }

    /// <summary>Everything Azurite printed, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Stops Azurite the way an operator would (SIGTERM): it closes its services and writes what it holds in memory to
    /// its folder, so <see cref="StartAsync"/> brings it back with every acknowledged container and blob. (Killed
    /// hard, Azurite loses recent metadata that it had acknowledged; real Azure Storage never does, so tests that take
    /// storage away use this.) Azurite 3.x closes its services on SIGTERM but its process lingers, so once all three
    /// say they are closed (bounded), the process is killed.
    /// </summary>
    public async Task StopAsync()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        if (!process.HasExited && SendTerminate(process.Id) == 0)
        {
            var deadline = DateTime.UtcNow + GracefulStopTimeout;
            while (DateTime.UtcNow < deadline && !process.HasExited && ClosedLine().Count(Output) < ClosedCountBefore + 3)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }

        await KillAsync().ConfigureAwait(false);
    }

    /// <summary>Kills Azurite at once, as a crash would (the data folder stays; recent metadata may be lost).</summary>
    public async Task KillAsync()
    {
        var process = _process;
        _process = null;
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private void KillOnExit(object? sender, EventArgs e)
    {
        try
        {
            _process?.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Azurite (Blob|Queue|Table) service successfully closed")]
    private static partial Regex ClosedLine();

    /// <summary>
    /// SIGTERM through the shell's built-in kill (.NET can only kill a process outright; /bin/kill needs procps, which
    /// a bare Debian lacks). 0 when the signal was sent.
    /// </summary>
    private static int SendTerminate(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            return -1;
        }

        using var kill = Process.Start(new ProcessStartInfo("sh", ["-c", "kill -TERM " + pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        kill?.WaitForExit(5000);
        return kill is { HasExited: true } ? kill.ExitCode : -1;
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at https?://[^:/]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
