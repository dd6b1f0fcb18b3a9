namespace Sana.TestSupport;

/// <summary>
/// Azurite's development account at an address where nothing listens (the discard port on loopback): for tests that
/// build clients, SAS URIs or options but never reach storage, so they need no Azurite and a stray request fails fast.
/// </summary>
public static class OfflineStorage
{
    public const string ConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=" + AzuriteProcess.AccountName + ";AccountKey=" + AzuriteProcess.AccountKey + ";"
        + "BlobEndpoint=http://127.0.0.1:9/" + AzuriteProcess.AccountName + ";"
        + "QueueEndpoint=http://127.0.0.1:9/" + AzuriteProcess.AccountName + ";"
        + "TableEndpoint=http://127.0.0.1:9/" + AzuriteProcess.AccountName + ";";
}
