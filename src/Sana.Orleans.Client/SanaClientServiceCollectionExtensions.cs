using Azure.Data.Tables;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Sana.Orleans.Client;

/// <summary>Makes a process a client of a Sana cluster: one call, configuration-driven, for any .NET service.</summary>
public static class SanaClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds an Orleans client for the cluster described by the <c>Sana:Cluster</c> section of
    /// <paramref name="configuration"/> (localhost gateway by default, the Azure membership table when configured), and
    /// <see cref="ISanaClient"/>. The client connects when the host starts; a bad configuration fails the start.
    /// </summary>
    public static IServiceCollection AddSanaClient(this IServiceCollection services, IConfiguration configuration, Action<IClientBuilder>? configureClient = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SanaClusterOptions.SectionName);
        return services.AddSanaClient(o => section.Bind(o), configureClient);
    }

    /// <summary>As <see cref="AddSanaClient(IServiceCollection, IConfiguration, Action{IClientBuilder}?)"/>, configured in code.</summary>
    public static IServiceCollection AddSanaClient(this IServiceCollection services, Action<SanaClusterOptions> configure, Action<IClientBuilder>? configureClient = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        // Clustering providers are chosen while building the container, so the options are read now as well as
        // registered for validation at start.
        var cluster = new SanaClusterOptions();
        configure(cluster);
        ThrowIfInvalid(cluster);
        services.AddOptions<SanaClusterOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SanaClusterOptions>, SanaClusterOptionsValidator>());
        services.AddOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.ClusterId, cluster.ServiceId));
            client.UseSanaClustering(cluster);
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = cluster.GatewayListRefreshPeriod);
            configureClient?.Invoke(client);
        });
        services.AddSanaClientFacade();
        return services;
    }

    /// <summary>
    /// Registers <see cref="ISanaClient"/> over whatever <see cref="IGrainFactory"/> the container has: an Orleans client's,
    /// or a silo's own (the in-process cluster of <c>sana generate</c>).
    /// </summary>
    public static IServiceCollection AddSanaClientFacade(this IServiceCollection services)
    {
        services.TryAddSingleton<ISanaClient, SanaClient>();
        return services;
    }

    /// <summary>Localhost gateways or the Azure membership table, as <paramref name="cluster"/> says.</summary>
    public static IClientBuilder UseSanaClustering(this IClientBuilder client, SanaClusterOptions cluster)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(cluster);
        if (cluster.Clustering == ClusteringKind.AzureTable)
        {
            client.UseAzureStorageClustering(o =>
            {
                o.TableServiceClient = CreateTableServiceClient(cluster);
                if (cluster.MembershipTableName is { Length: > 0 } table)
                {
                    o.TableName = table;
                }
            });
        }
        else
        {
            client.UseLocalhostClustering([.. cluster.EffectiveGatewayPorts], cluster.ServiceId, cluster.ClusterId);
        }

        return client;
    }

    /// <summary>The table client for membership: connection string when given, else the URI with DefaultAzureCredential.</summary>
    public static TableServiceClient CreateTableServiceClient(SanaClusterOptions cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return !string.IsNullOrWhiteSpace(cluster.ConnectionString)
            ? new TableServiceClient(cluster.ConnectionString)
            : new TableServiceClient(cluster.TableServiceUri, new DefaultAzureCredential());
    }

    internal static void ThrowIfInvalid(SanaClusterOptions cluster)
    {
        var problems = SanaClusterOptionsValidator.Problems(cluster);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(SanaClusterOptions), problems);
        }
    }
}
