namespace Sana.Cli;

/// <summary>Process exit codes: scripts tell a bad request (fix the command) from a failure (retry, report).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
}
