using System.Diagnostics;
using System.Text;
using Sana.Orleans.IntegrationTests;

namespace Sana.Orleans.FaultTests;

/// <summary>
/// One `sana-silo` process, optionally inside a network namespace (`ip netns exec NS dotnet sana-silo.dll`), with its
/// configuration in environment variables; waits (bounded) for its ready line, can wait for any line it prints, and
/// is killed hard (SIGKILL: no graceful leave) on <see cref="KillAsync"/> or dispose.
/// </summary>
public sealed class SiloHost : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(180);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _line = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloHost(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public Task Exited => _exited.Task;

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

    public static async Task<SiloHost> StartAsync(string name, IReadOnlyDictionary<string, string> settings, string? netns = null)
    {
        var info = new ProcessStartInfo(netns is null ? "dotnet" : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Repository.SiloAssembly)!,
        };
        if (netns is not null)
        {
            foreach (var arg in new[] { "netns", "exec", netns, "dotnet" })
            {
                info.ArgumentList.Add(arg);
            }
        }

        info.ArgumentList.Add(Repository.SiloAssembly);
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Sana__Silo__Name"] = name;
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var silo = new SiloHost(name, process);
        process.OutputDataReceived += (_, e) => silo.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data);
        process.Exited += (_, _) => silo._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await silo.WaitForOutputAsync(o => o.Contains("sana-silo ready", StringComparison.Ordinal), ReadyTimeout);
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }

        return silo;
    }

    /// <summary>Completes once the output satisfies <paramref name="condition"/>; fails if the process exits first or the time is up.</summary>
    public async Task WaitForOutputAsync(Func<string, bool> condition, TimeSpan timeout)
    {
        using var bound = new CancellationTokenSource(timeout);
        while (true)
        {
            Task line;
            lock (_output)
            {
                line = _line.Task;
                if (condition(_output.ToString()))
                {
                    return;
                }
            }

            if (_exited.Task.IsCompleted)
            {
                throw new InvalidOperationException($"silo {Name} exited. Output:\n{Output}");
            }

            try
            {
                await Task.WhenAny(line, _exited.Task).WaitAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"silo {Name}: the awaited output did not come within {timeout.TotalSeconds}s. Output:\n{Output}");
            }
        }
    }

    /// <summary>Kills the process (and the `ip netns exec` wrapper's child) at once, as a crash or kill -9 would.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(bound.Token);
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void OnLine(string? data)
    {
        if (data is null)
        {
            return;
        }

        TaskCompletionSource line;
        lock (_output)
        {
            _output.AppendLine(data);
            line = _line;
            _line = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        line.TrySetResult();
    }
}
