using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Sana.TestSupport;

namespace Sana.Storage.Tests;

/// <summary>
/// Container URIs checked and redacted without any request, on an account where nothing listens (so they need no
/// Azurite); the SAS tests that store and read are in BlobImageStoreAccessTests.
/// </summary>
public sealed class ContainerUriTests
{
    private static BlobContainerClient NewContainer() =>
        new BlobServiceClient(OfflineStorage.ConnectionString).GetBlobContainerClient("sas-" + Guid.NewGuid().ToString("N")[..12]);

    private static Uri Sas(BlobContainerClient container, BlobContainerSasPermissions permissions) =>
        container.GenerateSasUri(permissions, DateTimeOffset.UtcNow.AddHours(1));

    private static string Signature(Uri sas) =>
        Uri.UnescapeDataString(sas.Query.TrimStart('?').Split('&').Single(p => p.StartsWith("sig=", StringComparison.Ordinal))[4..]);

    [Fact]
    public void A_container_uri_with_an_account_setting_or_without_a_container_is_refused_without_printing_the_query()
    {
        var container = NewContainer();
        var sas = Sas(container, BlobContainerSasPermissions.All);
        var accountOnly = new Uri(sas.GetLeftPart(UriPartial.Authority) + "/devstoreaccount1" + sas.Query);
        var validator = new ImageStoreOptionsValidator();

        var both = validator.Validate(null, new ImageStoreOptions { Kind = ImageStoreKind.AzureBlob, ContainerUri = sas, ConnectionString = OfflineStorage.ConnectionString });
        var noContainer = validator.Validate(null, new ImageStoreOptions { Kind = ImageStoreKind.AzureBlob, ContainerUri = accountOnly });

        Assert.Contains("Sana:ImageStore:ContainerUri: set it alone, without Sana:ImageStore:ConnectionString or Sana:ImageStore:ServiceUri", both.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("does not name a container", noContainer.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("?<redacted>", noContainer.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(Signature(sas), both.FailureMessage + noContainer.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Redaction_keeps_the_path_and_drops_the_whole_query()
    {
        var uri = new Uri("https://acct.blob.core.windows.net/models/sana/?sv=2024-01-01&sp=r&sig=c2VjcmV0");

        Assert.Equal("https://acct.blob.core.windows.net/models/sana/?<redacted>", BlobUris.Redact(uri));
        Assert.Equal("https://acct.blob.core.windows.net/models/sana/?<redacted>", BlobUris.Redact(uri.AbsoluteUri));
        Assert.Equal("https://acct.blob.core.windows.net/models/", BlobUris.Redact(new Uri("https://acct.blob.core.windows.net/models/")));
        var (bare, sas) = BlobUris.SplitSas(uri);
        Assert.Equal("https://acct.blob.core.windows.net/models/sana/", bare.AbsoluteUri);
        Assert.Equal("sv=2024-01-01&sp=r&sig=c2VjcmV0", sas!.Signature);
        Assert.Null(BlobUris.SplitSas(new Uri("https://acct.blob.core.windows.net/models?comp=list")).Sas);
    }
}
