using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sana.TestSupport;

namespace Sana.Storage.Tests;

public sealed class ImageStoreRegistrationTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSanaImageStore(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void The_file_store_is_the_default()
    {
        var folder = Path.Combine(Path.GetTempPath(), "sana-default-" + Guid.NewGuid().ToString("N"));
        using var provider = Build(new() { ["Sana:ImageStore:Path"] = folder });

        var store = Assert.IsType<FileImageStore>(provider.GetRequiredService<IImageStore>());
        Assert.Equal(folder, store.Root);
    }

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

    [Fact]
    public void AzureBlob_without_credentials_fails_at_start_naming_the_keys()
    {
        using var provider = Build(new() { ["Sana:ImageStore:Kind"] = "AzureBlob", ["Sana:ImageStore:ContainerName"] = "Bad_Name" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Sana:ImageStore:ConnectionString, Sana:ImageStore:ServiceUri or Sana:ImageStore:ContainerUri", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sana:ImageStore:ContainerName: 'Bad_Name'", error.Message, StringComparison.Ordinal);
    }
}
