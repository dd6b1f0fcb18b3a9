using Microsoft.Extensions.DependencyInjection;
using Sana.TestSupport;

namespace Sana.Storage.Tests;

/// <summary>Registration of the Azure Blob store against a real Azurite (the tests that need none are in ImageStoreRegistrationTests).</summary>
public sealed class BlobImageStoreRegistrationTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static ServiceProvider Build(Dictionary<string, string?> settings) => ImageStoreRegistrationTests.Build(settings);

    [Fact]
    public async Task AzureBlob_kind_with_a_connection_string_stores_in_that_container()
    {
        using var provider = Build(new()
        {
            ["Sana:ImageStore:Kind"] = "AzureBlob",
            ["Sana:ImageStore:ConnectionString"] = azurite.ConnectionString,
            ["Sana:ImageStore:ContainerName"] = "configured-images",
        });

        var store = Assert.IsType<BlobImageStore>(provider.GetRequiredService<IImageStore>());
        await store.SaveAsync(new ImageKey("j", 0, 0), new byte[] { 1 }, default);
        Assert.EndsWith("/configured-images", store.ContainerUri.AbsolutePath, StringComparison.Ordinal);
    }
}
