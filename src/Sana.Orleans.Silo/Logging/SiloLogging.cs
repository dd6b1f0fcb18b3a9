using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Sana.Orleans.Silo.Logging;

/// <summary>Console log formats of a silo.</summary>
public enum LogFormat
{
    /// <summary>One human-readable line per entry (with its scopes: job, GPU, images).</summary>
    Simple = 0,

    /// <summary>One JSON object per line, scopes included, for log shippers (Azure Monitor agent, Fluent Bit, Loki).</summary>
    Json = 1,
}

/// <summary>How the silo writes its logs (<c>Sana:Logging</c>). Other logging settings stay under <c>Logging</c>.</summary>
public sealed class SanaLoggingOptions
{
    public const string SectionName = "Sana:Logging";

    public LogFormat Format { get; set; } = LogFormat.Simple;

    /// <summary>Timestamp format of each line; empty for none (journald adds its own).</summary>
    public string TimestampFormat { get; set; } = "yyyy-MM-ddTHH:mm:ss.fffZ ";

    /// <summary>Applies the format to the console logger, with scopes on, so JobId/GpuId/ImageIndex reach every line.</summary>
    public static void Configure(ILoggingBuilder logging, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(logging);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new SanaLoggingOptions();
        configuration.GetSection(SectionName).Bind(options);
        var timestamp = string.IsNullOrEmpty(options.TimestampFormat) ? null : options.TimestampFormat;
        if (options.Format == LogFormat.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = timestamp?.Trim();
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = timestamp;
            });
        }
    }

    internal IEnumerable<string> Problems()
    {
        if (!Enum.IsDefined(Format))
        {
            yield return $"{SectionName}:Format: '{Format}' is not Simple or Json";
        }
    }
}
