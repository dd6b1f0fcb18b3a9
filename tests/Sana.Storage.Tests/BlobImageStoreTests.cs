using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Sana.TestSupport;

namespace Sana.Storage.Tests;

/// <summary>The blob store against a real Azurite on loopback (see .ci/install-azurite.sh).</summary>
public sealed class BlobImageStoreTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private BlobContainerClient NewContainer() =>
        new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("images-" + Guid.NewGuid().ToString("N")[..12]);

    private static BlobImageStore StoreOn(BlobContainerClient container) => new(container, NullLogger<BlobImageStore>.Instance);

    [Fact]
    public async Task Save_creates_the_container_and_a_blob_named_by_the_key()
    {
        var container = NewContainer();
        var store = StoreOn(container);

        var reference = await store.SaveAsync(new ImageKey("job-1", 4, 77), new byte[] { 9, 8, 7 }, default);

        Assert.Equal(container.GetBlobClient("job-1/000004-77.png").Uri.AbsoluteUri, reference);
        var properties = await container.GetBlobClient("job-1/000004-77.png").GetPropertiesAsync();
        Assert.Equal("image/png", properties.Value.ContentType);
        Assert.Equal(new byte[] { 9, 8, 7 }, await store.ReadAsync(reference, default));
        Assert.Equal(new byte[] { 9, 8, 7 }, await store.ReadAsync("job-1/000004-77.png", default));
    }

    [Fact]
    public async Task Saving_the_same_key_twice_overwrites_and_leaves_one_blob()
    {
        var container = NewContainer();
        var store = StoreOn(container);
        var key = new ImageKey("job", 1, 2);

        await store.SaveAsync(key, new byte[] { 1 }, default);
        var reference = await store.SaveAsync(key, new byte[] { 2, 2 }, default);

        Assert.Single(await container.GetBlobsAsync().ToListAsync());
        Assert.Equal(new byte[] { 2, 2 }, await store.ReadAsync(reference, default));
    }

    [Fact]
    public async Task The_manifest_lies_beside_the_images_is_replaced_whole_and_is_not_listed_as_an_image()
    {
        var container = NewContainer();
        var store = StoreOn(container);
        await store.SaveAsync(new ImageKey("job", 0, 5), new byte[] { 1 }, default);

        await store.SaveManifestAsync("job", "{\"index\":0}\n"u8.ToArray(), default);
        var reference = await store.SaveManifestAsync("job", "{\"index\":1}\n"u8.ToArray(), default);

        Assert.Equal(container.GetBlobClient("job/manifest.jsonl").Uri.AbsoluteUri, reference);
        Assert.Equal("{\"index\":1}\n"u8.ToArray(), await store.ReadAsync(reference, default));
        Assert.Equal([0], await store.ListAsync("job", default).Select(k => k.Index).ToListAsync());
    }

    [Fact]
    public async Task List_returns_a_jobs_images_in_index_order_and_ignores_other_blobs()
    {
        var container = NewContainer();
        var store = StoreOn(container);
        await store.SaveAsync(new ImageKey("job", 11, 1), new byte[] { 1 }, default);
        await store.SaveAsync(new ImageKey("job", 3, 1), new byte[] { 1 }, default);
        await store.SaveAsync(new ImageKey("job-2", 0, 1), new byte[] { 1 }, default);
        await container.GetBlobClient("job/readme.txt").UploadAsync(BinaryData.FromString("x"));

        var keys = await store.ListAsync("job", default).ToListAsync();

        Assert.Equal([new ImageKey("job", 3, 1), new ImageKey("job", 11, 1)], keys);
    }

    [Fact]
    public async Task A_container_that_does_not_exist_yet_lists_nothing_and_reads_null()
    {
        var store = StoreOn(NewContainer());

        Assert.Empty(await store.ListAsync("job", default).ToListAsync());
        Assert.Null(await store.ReadAsync("job/000000-0.png", default));
    }
}
