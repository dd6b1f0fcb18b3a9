using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Sana.Orleans.Client;
using Sana.Orleans.Grains;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Silo.Gpus;
using Sana.Orleans.Silo.Health;
using Sana.Orleans.Silo.Metrics;
using Sana.Orleans.Silo.ModelCache;
using Sana.Orleans.Silo.Security;
using Sana.Orleans.Grains.Telemetry;
using Sana.Orleans.Silo.Options;
using Sana.Storage;

namespace Sana.Orleans.Silo.Hosting;

/// <summary>The pieces of <see cref="SanaSiloHostingExtensions"/>: options, services, and the Orleans silo itself.</summary>
internal static class SiloWiring
{
    public const string GrainsSectionName = "Sana:Grains";

    /// <summary>Orleans' ClusterMembershipOptions (failure detection: ProbeTimeout, NumMissedProbesLimit, ...).</summary>
    public const string MembershipSectionName = "Sana:Membership";

    /// <summary>
    /// Orleans' GrainDirectoryOptions. RangeLeaseDuration (30 s by default) is how long after a silo crashes its grains
    /// may not be activated elsewhere (less the failure-detection window): a job whose grain died with the silo
    /// resumes only after it. Shorter is faster recovery, at the risk of two activations if the "dead" silo was only
    /// cut off and still running.
    /// </summary>
    public const string DirectorySectionName = "Sana:Directory";

    public static void AddOptionsAndServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SanaSiloOptions>().Bind(configuration.GetSection(SanaSiloOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SanaSiloOptions>, SanaSiloOptionsValidator>());
        services.AddOptions<WorkerOptions>()
            .Bind(configuration.GetSection(WorkerOptions.SectionName))
            .Configure(o => o.ModelPath = configuration[WorkerOptions.ModelPathKey] is { Length: > 0 } path ? path : o.ModelPath)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>());
        services.AddOptions<ModelDownloadOptions>().Bind(configuration.GetSection(ModelDownloadOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelDownloadOptions>, ModelDownloadOptionsValidator>());
        services.AddOptions<SanaClusterOptions>().Bind(configuration.GetSection(SanaClusterOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SanaClusterOptions>, SanaClusterOptionsValidator>());

        services.AddSanaImageStore(configuration);
        services.AddSanaClientFacade();
        services.TryAddSingleton<NvidiaSmi>();
        // A blob model is downloaded and checked when the host starts, before any hosted service (Orleans included).
        services.TryAddSingleton<ModelFolderResolver>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelFolderResolver>());
        // Discovery and the plan run when the silo first asks for its workers (at start, once the model folder is
        // there), not while the container is built.
        services.TryAddSingleton<IGpuInventory>(sp => new PlannedGpuInventory(() =>
        {
            var workers = sp.GetRequiredService<IOptions<WorkerOptions>>().Value;
            var discovered = workers.Devices.Count == 0 && workers.DiscoverGpus
                ? sp.GetRequiredService<NvidiaSmi>().Discover(workers.NvidiaSmiPath)
                : [];
            return WorkerPlan.Build(workers, discovered, sp.GetRequiredService<ModelFolderResolver>().Folder);
        }));
        services.TryAddSingleton<SiloHealth>();
        services.TryAddSingleton<NvidiaSmiMemoryProbe>();
        services.TryAddSingleton<IDeviceMemoryProbe>(sp => sp.GetRequiredService<NvidiaSmiMemoryProbe>());
        services.AddHostedService(sp => sp.GetRequiredService<NvidiaSmiMemoryProbe>());
    }

    public static void ConfigureOrleans(ISiloBuilder silo, IConfiguration configuration)
    {
        // Clustering and storage providers are chosen now, so these options are read (and checked) now too.
        var options = ReadValidated<SanaSiloOptions>(configuration, SanaSiloOptions.SectionName, new SanaSiloOptionsValidator());
        var cluster = ReadValidated<SanaClusterOptions>(configuration, SanaClusterOptions.SectionName, new SanaClusterOptionsValidator());
        var grains = new SanaGrainsOptions();
        configuration.GetSection(GrainsSectionName).Bind(grains);

        silo.Configure<SiloOptions>(o => o.SiloName = options.Name);
        silo.UseSanaTls(SanaTls.Read(configuration));
        silo.Services.AddOptions<ClusterMembershipOptions>().Bind(configuration.GetSection(MembershipSectionName));
        silo.Services.AddOptions<GrainDirectoryOptions>().Bind(configuration.GetSection(DirectorySectionName));
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.ClusterId, cluster.ServiceId));
        if (cluster.Clustering == ClusteringKind.AzureTable)
        {
            silo.UseAzureStorageClustering(o =>
            {
                o.TableServiceClient = SanaClientServiceCollectionExtensions.CreateTableServiceClient(cluster);
                if (cluster.MembershipTableName is { Length: > 0 } table)
                {
                    o.TableName = table;
                }
            });
            var advertised = string.IsNullOrWhiteSpace(options.AdvertisedAddress) ? FirstNonLoopbackAddress() : IPAddress.Parse(options.AdvertisedAddress);
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = advertised;
                o.SiloPort = options.SiloPort;
                o.GatewayPort = options.GatewayPort;
                var listen = options.ListenOnAnyAddress ? IPAddress.Any : advertised;
                o.SiloListeningEndpoint = new IPEndPoint(listen, options.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(listen, options.GatewayPort);
            });
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort,
                new IPEndPoint(IPAddress.Loopback, options.PrimarySiloPort), cluster.ServiceId, cluster.ClusterId);
        }

        var durable = options.GrainStorage == GrainStorageKind.AzureTable;
        grains.UseInMemoryJobStorage = !durable;
        grains.UseInMemoryReminders = !durable;
        silo.AddSanaGrains(grains);
        if (durable)
        {
            silo.AddAzureTableGrainStorage(grains.JobStorageName,
                o => o.TableServiceClient = SanaClientServiceCollectionExtensions.CreateTableServiceClient(cluster));
            silo.UseAzureTableReminderService(
                o => o.TableServiceClient = SanaClientServiceCollectionExtensions.CreateTableServiceClient(cluster));
        }
    }

    /// <summary>Binds a section and throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    public static T ReadValidated<T>(IConfiguration configuration, string section, IValidateOptions<T> validator)
        where T : class, new()
    {
        var options = new T();
        configuration.GetSection(section).Bind(options);
        var result = validator.Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
        return result.Failed
            ? throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(T), result.Failures)
            : options;
    }

    /// <summary>The first up, non-loopback IPv4 address of this host; loopback when there is none (a sealed sandbox).</summary>
    internal static IPAddress FirstNonLoopbackAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
        ?? IPAddress.Loopback;
}
