namespace Sana.Orleans.Silo.Options;

/// <summary>Where this silo's grain state and reminders live.</summary>
public enum GrainStorageKind
{
    /// <summary>In the silo's memory: the default; a job whose silo dies is lost with it.</summary>
    Memory = 0,

    /// <summary>Azure Storage tables (the cluster's account): jobs resume on another silo after a crash.</summary>
    AzureTable = 1,
}

/// <summary>
/// One silo process: its name, its ports and its HTTP surface (section <see cref="SectionName"/>). Several silos run
/// on one machine by giving each its own name and ports.
/// </summary>
public sealed class SanaSiloOptions
{
    public const string SectionName = "Sana:Silo";

    /// <summary>The silo's name, the first part of its GPU grain keys ("{name}/gpu{n}"); must be unique in the cluster.</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>
    /// The address other silos and clients reach this one at. Empty: 127.0.0.1 with localhost clustering, else this
    /// host's first non-loopback IPv4 address.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Listen on every interface instead of only the advertised address (containers, NAT).</summary>
    public bool ListenOnAnyAddress { get; set; }

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Localhost clustering: the silo port of the primary silo every other silo joins through.</summary>
    public int PrimarySiloPort { get; set; } = 11111;

    public GrainStorageKind GrainStorage { get; set; } = GrainStorageKind.Memory;

    /// <summary>Serve the dashboard and /health. Off for an in-process silo that only serves its own process.</summary>
    public bool HttpEnabled { get; set; } = true;

    /// <summary>Address of the dashboard and /health; loopback by default, so no admin page is open to the network.</summary>
    public string HttpAddress { get; set; } = "127.0.0.1";

    /// <summary>Port of the dashboard and /health; 0 lets the OS pick (tests).</summary>
    public int HttpPort { get; set; } = 8080;

    public bool DashboardEnabled { get; set; } = true;

    /// <summary>Path the dashboard is served under.</summary>
    public string DashboardPath { get; set; } = "/dashboard";

    /// <summary>Serve the Prometheus scrape endpoint (<see cref="MetricsPath"/>) of the "Sana.Orleans" meter.</summary>
    public bool MetricsEnabled { get; set; } = true;

    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>Serve the live GPU page (/gpus) and its JSON (/api/gpus): every GPU grain of the cluster with its load.</summary>
    public bool GpuPageEnabled { get; set; } = true;

    /// <summary>
    /// Serve the job API for services that are not .NET (/api/jobs: submit, status, images, cancel, events) and its
    /// OpenAPI document (/openapi/v1.json), behind the same access check as the rest of the HTTP surface.
    /// </summary>
    public bool ApiEnabled { get; set; } = true;

    /// <summary>How often the GPU page's charts are sampled and how far back they reach.</summary>
    public GpuHistoryOptions GpuHistory { get; set; } = new();

    /// <summary>
    /// Who may use the HTTP surface (dashboard, metrics, GPU page, health). Required when <see cref="HttpAddress"/> is
    /// not a loopback address: the silo refuses to start with an open admin port on the network.
    /// </summary>
    public HttpAccessOptions HttpAccess { get; set; } = new();
}
