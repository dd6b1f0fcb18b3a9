namespace Sana.Orleans.Client;

/// <summary>How members of a cluster find each other.</summary>
public enum ClusteringKind
{
    /// <summary>Silos on this machine only, on fixed loopback ports: the default, needs nothing else.</summary>
    Localhost = 0,

    /// <summary>Membership in an Azure Storage table (or Azurite): silos on many machines.</summary>
    AzureTable = 1,
}

/// <summary>
/// Which cluster to join and how to find it; shared by silos and clients (section <see cref="SectionName"/>) so one
/// configuration file serves both sides.
/// </summary>
public sealed class SanaClusterOptions
{
    public const string SectionName = "Sana:Cluster";

    /// <summary>Orleans ClusterId: silos and clients with the same id (and membership table) form one cluster.</summary>
    public string ClusterId { get; set; } = "sana";

    /// <summary>Orleans ServiceId: keeps grain state and reminders of this service apart across cluster ids.</summary>
    public string ServiceId { get; set; } = "sana";

    public ClusteringKind Clustering { get; set; } = ClusteringKind.Localhost;

    /// <summary>Localhost clustering: the gateway ports a client tries; empty means the default silo's (30000).</summary>
    public IList<int> GatewayPorts { get; } = [];

    /// <summary>Azure Table: a storage connection string (Azurite, account keys, SAS); wins over <see cref="TableServiceUri"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Azure Table: the account's table endpoint, reached with DefaultAzureCredential (managed identity).</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>Azure Table: the membership table; null keeps Orleans' default (OrleansSiloInstances).</summary>
    public string? MembershipTableName { get; set; }

    /// <summary>
    /// How often a client reads the membership table for the live gateways (Orleans' default: 1 minute). A client
    /// routes all calls for one grain through one gateway; a silo cut off from the others but not from the client
    /// keeps swallowing those calls (each waits out the response timeout) until the client learns from the table that
    /// the silo was declared dead, so this is how long a client can stay stuck after a partition. One small table
    /// query per period per client.
    /// </summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The default silo gateway port, used when <see cref="GatewayPorts"/> is empty.</summary>
    public const int DefaultGatewayPort = 30000;

    /// <summary>The gateway ports to use: <see cref="GatewayPorts"/>, or the default one.</summary>
    public IReadOnlyList<int> EffectiveGatewayPorts => GatewayPorts.Count > 0 ? [.. GatewayPorts] : [DefaultGatewayPort];
}
