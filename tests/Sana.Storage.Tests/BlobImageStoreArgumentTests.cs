using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Sana.TestSupport;

namespace Sana.Storage.Tests;

/// <summary>
/// The blob store's refusals that come before any request, on an account where nothing listens (so they need no
/// Azurite, and a request would fail the test); its storage tests are in BlobImageStoreTests.
/// </summary>
public sealed class BlobImageStoreArgumentTests
{
    private static BlobContainerClient NewContainer() =>
        new BlobServiceClient(OfflineStorage.ConnectionString).GetBlobContainerClient("images-" + Guid.NewGuid().ToString("N")[..12]);

    private static BlobImageStore StoreOn(BlobContainerClient container) => new(container, NullLogger<BlobImageStore>.Instance);

    [Fact]
    public async Task References_to_another_container_are_refused()
    {
        var store = StoreOn(NewContainer());
        var foreign = NewContainer().GetBlobClient("job/000000-0.png").Uri.AbsoluteUri;

        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadAsync(foreign, default));
    }

    [Fact]
    public async Task Unsafe_job_ids_are_refused_before_touching_storage()
    {
        var store = StoreOn(NewContainer());

        await Assert.ThrowsAsync<ArgumentException>(() => store.SaveAsync(new ImageKey("../x", 0, 0), new byte[1], default));
    }
}
