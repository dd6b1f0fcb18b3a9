using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Sana.TestSupport;

/// <summary>
/// What tests need beyond the .NET SDK (Azurite, Chromium, iproute2), installed on first use by the repository's own
/// scripts (.ci/install-*.sh), so that `dotnet test` passes on a fresh machine by itself. Several test processes (and
/// classes within one) may ask at once: installs run one at a time per machine under a file lock, and each is checked
/// again once the lock is held, so it runs once. A failed install fails its tests (never skips them) with the script's
/// last lines and the command to run by hand.
/// </summary>
public static class TestInstalls
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan LockTimeout = InstallTimeout + TimeSpan.FromMinutes(5);

    // One attempt per process: a failure is kept, so 40 tests waiting on Azurite fail with one message, not 40 installs.
    private static readonly ConcurrentDictionary<string, Lazy<Task>> Attempts = new();
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    /// <summary>The repository root (the folder with Sana.Orleans.sln and .ci) above the test's folder.</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>Installs Azurite into .ci/azurite (npm) unless it is there.</summary>
    public static Task AzuriteAsync() =>
        EnsureAsync("Azurite", "install-azurite.sh", () => AzuriteLocator.IsInstalled, needsRoot: false);

    /// <summary>Installs Debian's chromium and chromium-driver unless /usr/bin has both.</summary>
    public static Task ChromiumAsync() =>
        EnsureAsync("Chromium", "install-chromium.sh", () => File.Exists("/usr/bin/chromium") && File.Exists("/usr/bin/chromedriver"), needsRoot: true);

    /// <summary>Installs iproute2 (`ip netns`) unless `ip` is on PATH.</summary>
    public static Task IprouteAsync() =>
        EnsureAsync("iproute2", "install-netns.sh", () => OnPath("ip") is not null, needsRoot: true);

    /// <summary>The full path of <paramref name="name"/> in a PATH folder, or null.</summary>
    public static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static Task EnsureAsync(string what, string script, Func<bool> isInstalled, bool needsRoot) =>
        isInstalled()
            ? Task.CompletedTask
            : Attempts.GetOrAdd(script, _ => new Lazy<Task>(() => Task.Run(() => InstallAsync(what, script, isInstalled, needsRoot)))).Value;

    private static async Task InstallAsync(string what, string script, Func<bool> isInstalled, bool needsRoot)
    {
        var path = Path.Combine(RepositoryRoot, ".ci", script);
        var byHand = $"run `bash {path}` by hand" + (needsRoot ? " (as root, or with sudo: it installs Debian packages)" : "");
        await using var machineLock = await LockMachineAsync(what, byHand);
        if (isInstalled())
        {
            return; // another test process installed it while this one waited
        }

        var log = Path.Combine(Path.GetTempPath(), $"sana-{Path.GetFileNameWithoutExtension(script)}-{Environment.ProcessId}.log");
        Console.Error.WriteLine($"sana tests: {what} is missing; installing it (once per machine): bash {path} (log: {log})");
        var (exitCode, output) = await RunScriptAsync(path);
        await File.WriteAllTextAsync(log, output);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"{what} is not installed, and installing it failed: `bash {path}` "
                + (exitCode < 0 ? $"did not finish in {InstallTimeout.TotalMinutes} minutes" : $"exited with {exitCode}")
                + $". Its last lines:\n{Tail(output, 15)}\n(full log: {log}). Fix that, or {byHand}.");
        }

        if (!isInstalled())
        {
            throw new InvalidOperationException(
                $"`bash {path}` succeeded but {what} is still missing. Its last lines:\n{Tail(output, 15)}\n(full log: {log}). {byHand}.");
        }
    }

    /// <summary>
    /// An exclusive lock on a file in the temp folder: .NET takes FileShare.None as flock(LOCK_EX), which the kernel drops
    /// when its process dies, so a killed test run never leaves it held.
    /// </summary>
    private static async Task<FileStream> LockMachineAsync(string what, string byHand)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sana-test-installs-{Environment.UserName}.lock");
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < LockTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
            catch (IOException e)
            {
                throw new InvalidOperationException(
                    $"{what} is not installed, and another process has held {path} (the tests' install lock) for "
                    + $"{LockTimeout.TotalMinutes} minutes: {byHand}.", e);
            }
        }
    }

    /// <summary>bash SCRIPT with no input (so sudo or apt never wait for a prompt), stdout and stderr interleaved.</summary>
    private static async Task<(int ExitCode, string Output)> RunScriptAsync(string script)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(InstallTimeout);
        int exitCode;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            process.WaitForExit(); // drains the redirected streams
            exitCode = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            exitCode = -1;
        }

        lock (output)
        {
            return (exitCode, output.ToString());
        }
    }

    private static string Tail(string text, int lines) =>
        string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sana.Orleans.sln")) && Directory.Exists(Path.Combine(dir.FullName, ".ci")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"no repository root (Sana.Orleans.sln and .ci) above {AppContext.BaseDirectory}: the tests install what they need with its .ci/install-*.sh");
    }
}
