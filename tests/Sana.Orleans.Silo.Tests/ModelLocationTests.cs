using Sana.Orleans.Silo.ModelCache;

namespace Sana.Orleans.Silo.Tests;

/// <summary>Sana:ModelPath parsed as a local folder or a blob folder URL: no storage, so no Azurite (the downloads are in BlobModelDownloadTests).</summary>
public sealed class ModelLocationTests
{
    [Theory]
    [InlineData("/var/lib/sana/model", false, null)]
    [InlineData("models/sana", false, null)]
    [InlineData("https://acct.blob.core.windows.net/models/sana-1600m/", true, "sana-1600m/")]
    [InlineData("https://acct.blob.core.windows.net/models/sana-1600m", true, "sana-1600m/")]
    [InlineData("https://acct.blob.core.windows.net/models/a/b/", true, "a/b/")]
    [InlineData("https://acct.blob.core.windows.net/models", true, "")]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/models/tiny/", true, "tiny/")]
    public void Model_path_is_a_local_folder_or_a_blob_folder_url(string value, bool isBlob, string? prefix)
    {
        var location = ModelLocation.Parse(value);

        Assert.Equal(isBlob, location.IsBlob);
        if (isBlob)
        {
            Assert.Equal(prefix, location.Prefix);
            Assert.EndsWith("/models", location.ContainerUri!.AbsoluteUri, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(value, location.LocalPath);
        }
    }

    [Fact]
    public void A_url_without_a_container_is_a_configuration_problem_printed_without_its_query()
    {
        var problem = ModelLocation.Problem("https://acct.blob.core.windows.net/?sv=1&sig=c2VjcmV0");

        Assert.Equal("'https://acct.blob.core.windows.net/?<redacted>' names no blob container: expected "
            + "https://<account>.blob.core.windows.net/<container>/<model folder>/", problem);
    }
}
