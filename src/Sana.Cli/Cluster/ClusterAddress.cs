using System.Globalization;
using Sana.Orleans.Client;

namespace Sana.Cli.Cluster;

/// <summary>
/// What `--cluster` names: "localhost" or "localhost:30000,30001" (gateways on this machine), an Azure Storage
/// connection string (membership table, Azurite too), or a table endpoint URI reached with the machine's identity.
/// </summary>
internal static class ClusterAddress
{
    public static void Apply(string address, string clusterId, SanaClusterOptions options)
    {
        var text = address.Trim();
        options.ClusterId = clusterId;
        if (text.StartsWith("localhost", StringComparison.OrdinalIgnoreCase))
        {
            options.Clustering = ClusteringKind.Localhost;
            var ports = text.Length > "localhost".Length ? text["localhost".Length..].TrimStart(':') : "";
            foreach (var part in ports.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                {
                    throw new FormatException($"cluster: '{part}' is not a gateway port (1..65535)");
                }

                options.GatewayPorts.Add(port);
            }
        }
        else if (text.Contains("AccountName=", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase)
            || text.Contains("TableEndpoint=", StringComparison.OrdinalIgnoreCase))
        {
            options.Clustering = ClusteringKind.AzureTable;
            options.ConnectionString = text;
        }
        else if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http")
        {
            options.Clustering = ClusteringKind.AzureTable;
            options.TableServiceUri = uri;
        }
        else
        {
            throw new FormatException("cluster: expected localhost[:PORT,...], an Azure Storage connection string or a table endpoint URI");
        }
    }
}
