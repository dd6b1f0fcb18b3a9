using Microsoft.Extensions.Options;

namespace Sana.Orleans.Client;

/// <summary>
/// Rejects a cluster configuration that cannot work, at start and naming the key, rather than as a connection timeout
/// minutes later.
/// </summary>
public sealed class SanaClusterOptionsValidator : IValidateOptions<SanaClusterOptions>
{
    private const string Prefix = SanaClusterOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, SanaClusterOptions options) =>
        Problems(options) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;

    /// <summary>Every problem, each naming its configuration key.</summary>
    public static List<string> Problems(SanaClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            problems.Add($"{Prefix}ClusterId: must not be empty");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            problems.Add($"{Prefix}ServiceId: must not be empty");
        }

        foreach (var port in options.GatewayPorts.Where(p => p is < 1 or > 65535))
        {
            problems.Add($"{Prefix}GatewayPorts: {port} is not a TCP port (1-65535)");
        }

        if (options.GatewayListRefreshPeriod < TimeSpan.FromSeconds(1) || options.GatewayListRefreshPeriod > TimeSpan.FromHours(1))
        {
            problems.Add($"{Prefix}GatewayListRefreshPeriod: {options.GatewayListRefreshPeriod} is outside 00:00:01..01:00:00");
        }

        switch (options.Clustering)
        {
            case ClusteringKind.Localhost:
                break;
            case ClusteringKind.AzureTable:
                if (string.IsNullOrWhiteSpace(options.ConnectionString) && options.TableServiceUri is null)
                {
                    problems.Add($"{Prefix}ConnectionString or {Prefix}TableServiceUri: AzureTable clustering needs one of them");
                }

                if (options.TableServiceUri is { IsAbsoluteUri: false })
                {
                    problems.Add($"{Prefix}TableServiceUri: '{options.TableServiceUri}' is not an absolute URI");
                }

                break;
            default:
                problems.Add($"{Prefix}Clustering: '{options.Clustering}' is not Localhost or AzureTable");
                break;
        }

        return problems;
    }
}
