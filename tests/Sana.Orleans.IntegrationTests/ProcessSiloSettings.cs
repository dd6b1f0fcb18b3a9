using System.Globalization;

namespace Sana.Orleans.IntegrationTests;

/// <summary>
/// The configuration a silo process of the process tests runs with: clustered and keeping job state through Azure
/// tables, images in a blob container named after the cluster, one CPU worker on the tiny model, and membership that
/// declares a killed silo dead in seconds rather than the production default's tens of seconds. Tests add their own
/// keys on top.
/// </summary>
public static class ProcessSiloSettings
{
    public static Dictionary<string, string> For(
        string clusterConnectionString, string imageStoreConnectionString, string clusterId, string address, int siloPort, int gatewayPort) => new()
    {
        ["Sana:Cluster:Clustering"] = "AzureTable",
        ["Sana:Cluster:ConnectionString"] = clusterConnectionString,
        ["Sana:Cluster:ClusterId"] = clusterId,
        ["Sana:Silo:AdvertisedAddress"] = address,
        ["Sana:Silo:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
        ["Sana:Silo:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
        ["Sana:Silo:HttpPort"] = "0",
        ["Sana:Silo:GrainStorage"] = "AzureTable",
        ["Sana:Workers:DiscoverGpus"] = "false",
        ["Sana:Workers:CpuWorkers"] = "1",
        ["Sana:Workers:CpuIntraOpThreads"] = "1",
        ["Sana:ModelPath"] = Repository.TinyModel,
        ["Sana:ImageStore:Kind"] = "AzureBlob",
        ["Sana:ImageStore:ConnectionString"] = imageStoreConnectionString,
        ["Sana:ImageStore:ContainerName"] = clusterId,
        ["Sana:Membership:ProbeTimeout"] = "00:00:02",
        ["Sana:Membership:NumMissedProbesLimit"] = "2",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Sana"] = "Information",
    };
}
