using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sana.Storage.Tests;

/// <summary>Registration from configuration that needs no storage (the Azure Blob one is in BlobImageStoreRegistrationTests).</summary>
public sealed class ImageStoreRegistrationTests
{
    internal static ServiceProvider Build(Dictionary<string, string?> settings)
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
    public void AzureBlob_without_credentials_fails_at_start_naming_the_keys()
    {
        using var provider = Build(new() { ["Sana:ImageStore:Kind"] = "AzureBlob", ["Sana:ImageStore:ContainerName"] = "Bad_Name" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Sana:ImageStore:ConnectionString, Sana:ImageStore:ServiceUri or Sana:ImageStore:ContainerUri", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sana:ImageStore:ContainerName: 'Bad_Name'", error.Message, StringComparison.Ordinal);
    }
}
