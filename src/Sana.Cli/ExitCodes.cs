namespace Sana.Cli;

/// <summary>Process exit codes: scripts tell a bad request (fix the command) from a failure (retry, report).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;

    /// <summary>Stopped by Ctrl+C (SIGINT), as shells report it: 128 + 2.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;
}
