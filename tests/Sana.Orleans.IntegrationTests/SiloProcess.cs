using System.Diagnostics;
using System.Text;

namespace Sana.Orleans.IntegrationTests;

/// <summary>
/// A silo as its own OS process: `dotnet sana-silo.dll` with configuration in environment variables, started and
/// awaited until it prints its ready line (bounded), killed hard (kill -9 semantics) or stopped at dispose.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(180);
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SiloProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

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

    /// <summary>Starts silo <paramref name="name"/> with <paramref name="settings"/> (configuration keys like "Sana:Silo:Name").</summary>
    public static async Task<SiloProcess> StartAsync(string name, IReadOnlyDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Repository.SiloAssembly)!,
        };
        info.ArgumentList.Add(Repository.SiloAssembly);
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Sana__Silo__Name"] = name;
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var silo = new SiloProcess(name, process);
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (silo._output)
            {
                silo._output.AppendLine(e.Data);
            }

            if (e.Data.StartsWith("sana-silo ready", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Exited += (_, _) => exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var first = await Task.WhenAny(ready.Task, exited.Task, Task.Delay(ReadyTimeout));
        if (first != ready.Task)
        {
            await silo.DisposeAsync();
            throw new InvalidOperationException(
                $"silo {name} did not become ready within {ReadyTimeout.TotalSeconds}s (exited: {exited.Task.IsCompleted}). Output:\n{silo.Output}");
        }

        return silo;
    }

    /// <summary>Kills the process at once, as a crash or kill -9 would: no graceful leave, no handing back of work.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(bound.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }
}
