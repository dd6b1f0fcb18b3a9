using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;

namespace Sana.Cli.Cluster;

/// <summary>
/// Logging for the CLI's own hosts, one line each on stderr so stdout stays for results. By default only critical
/// events: the CLI itself reports what a user needs (a worker that cannot load its model, a job that failed, with the
/// reason), and the progress line is not drowned in silo chatter. --verbose shows warnings and errors too.
/// </summary>
internal static class QuietConsoleLogging
{
    public static void Apply(ILoggingBuilder logging, bool verbose)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o => o.SingleLine = true);
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(verbose ? LogLevel.Warning : LogLevel.Critical);
        logging.AddFilter("Orleans", verbose ? LogLevel.Error : LogLevel.Critical);
        logging.AddFilter("Microsoft", verbose ? LogLevel.Error : LogLevel.Critical);
    }
}
