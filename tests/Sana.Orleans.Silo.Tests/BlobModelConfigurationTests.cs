using Sana.Orleans.Silo.Hosting;
using Sana.TestSupport;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// A silo refusing a bad blob model URL before it makes any request, with a connection string to an account where
/// nothing listens (so no Azurite); the silos that download from Azurite are in BlobModelSiloTests.
/// </summary>
public sealed class BlobModelConfigurationTests : IDisposable
{
    private readonly string _cache = BlobModels.NewCacheDirectory();
    private readonly string _images = Directory.CreateTempSubdirectory("sana-blob-model-images-").FullName;

    public void Dispose()
    {
        Directory.Delete(_cache, recursive: true);
        Directory.Delete(_images, recursive: true);
    }

    private string[] Args(string modelPath) =>
        BlobModelSiloTests.SiloArgs(modelPath, _cache, _images, OfflineStorage.ConnectionString);

    [Fact]
    public async Task A_model_url_without_a_container_is_a_configuration_error_named_by_its_key()
    {
        using var console = new StringWriter();

        var code = await SanaSilo.RunAsync(Args("https://acct.blob.core.windows.net/?sv=1&sig=c2VjcmV0"), console);

        Assert.Equal(2, code);
        Assert.Contains("Sana:ModelPath: 'https://acct.blob.core.windows.net/?<redacted>' names no blob container", console.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0", console.ToString(), StringComparison.Ordinal);
    }
}
