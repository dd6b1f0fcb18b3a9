using System.Diagnostics;

namespace Sana.Cli.Tests;

/// <summary>Runs the built `sana` binary as a real process, as a user would, with a bounded wait.</summary>
internal static class SanaProcess
{
    private static readonly Lazy<string> Dll = new(FindDll);

    public static (int ExitCode, string StdOut, string StdErr) Run(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sana {string.Join(' ', args)} did not finish in 3 minutes");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts `sana` and hands it back running, its output captured line by line.</summary>
    public static RunningSana Start(params string[] args) => new(Process.Start(StartInfo(args))!);

    /// <summary>
    /// Starts a long-running `sana` (a silo) and returns once a line of its output starts with
    /// <paramref name="readyPrefix"/>; the caller kills it. Fails with its output if it exits or stays silent.
    /// </summary>
    public static Process StartUntil(string readyPrefix, TimeSpan timeout, params string[] args)
    {
        var process = Process.Start(StartInfo(args))!;
        var output = new System.Text.StringBuilder();
        var ready = new ManualResetEventSlim();
        void OnLine(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data.StartsWith(readyPrefix, StringComparison.Ordinal))
            {
                ready.Set();
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ready.Wait(timeout))
        {
            process.Kill(entireProcessTree: true);
            lock (output)
            {
                throw new TimeoutException($"sana {string.Join(' ', args)} did not print '{readyPrefix}' in {timeout}:\n{output}");
            }
        }

        return process;
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Dll.Value);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        return start;
    }

    private static string FindDll()
    {
        // tests/Sana.Cli.Tests/bin/<Configuration>/net10.0 -> src/Sana.Cli/bin/<Configuration>/net10.0/sana.dll
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var root = testBin.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "src", "Sana.Cli", "bin", configuration, framework, "sana.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"the sana binary is not built at {dll}", dll);
    }
}
