using System.Runtime.InteropServices;

namespace Sana.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM for the whole process: the first cancels <see cref="Token"/>, which every command gets
/// as its cancellation token and answers by winding down (cancelling or leaving its job, stopping its silo); a
/// second ends the process at once, for a wind-down that hangs. One owner for the signals: System.CommandLine's
/// own handling is turned off and the commands' hosts use <see cref="Cluster.CommandLineLifetime"/>.
/// </summary>
internal sealed class Interrupts : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _exitCode;

    public Interrupts()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    public CancellationToken Token => _requested.Token;

    /// <summary>The shell's code for the first signal received (128 + its number: 130 SIGINT, 143 SIGTERM), or null.</summary>
    public int? ExitCode => Volatile.Read(ref _exitCode) is var code and > 0 ? code : null;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _requested.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var code = context.Signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;
        if (Interlocked.CompareExchange(ref _exitCode, code, 0) != 0)
        {
            ExitNow(code);
        }

        // The token's callbacks (a job's cancel, a host's stop) must not run on the runtime's signal thread.
        ThreadPool.QueueUserWorkItem(static requested => requested.Cancel(), _requested, preferLocal: false);
    }

    private static void ExitNow(int code)
    {
        Console.Error.WriteLine();
        Console.Error.WriteLine("sana: interrupted again; exiting now");
        if (OperatingSystem.IsWindows())
        {
            Environment.Exit(code);
        }

        // _exit, not exit: no process-exit handlers, which may be what the first interrupt is waiting on.
        ImmediateExit(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ImmediateExit(int status);
}
