using System.Diagnostics;

namespace Sana.Cli.Tests;

/// <summary>
/// A `sana` process the test talks to while it runs: its stdout and stderr lines as they come, signals sent to it as
/// a terminal or a service manager would, and a bounded wait for its exit.
/// </summary>
internal sealed class RunningSana : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    public RunningSana(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Add(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Add(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string[] StdOut => Snapshot(_stdout);

    public string[] StdErr => Snapshot(_stderr);

    /// <summary>Waits until stdout has at least <paramref name="count"/> lines; fails with the output if the process ends first.</summary>
    public void WaitForStdOutLines(int count, TimeSpan timeout)
    {
        for (var wait = Stopwatch.StartNew(); StdOut.Length < count; Thread.Sleep(20))
        {
            if (_process.HasExited || wait.Elapsed > timeout)
            {
                throw new TimeoutException($"sana printed {StdOut.Length} of {count} lines (exited: {_process.HasExited}):\n{string.Join('\n', StdErr)}");
            }
        }
    }

    /// <summary>Sends SIGINT, SIGTERM, ... to the process, through kill(1) as a shell would.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>The exit code, once the process has ended and its output is read; fails if it runs past <paramref name="timeout"/>.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sana still ran {timeout} later:\n{string.Join('\n', StdErr)}");
        }

        _process.WaitForExit(); // drains the asynchronous readers
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static void Add(List<string> lines, string? line)
    {
        if (line is not null)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }

    private static string[] Snapshot(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines];
        }
    }
}
