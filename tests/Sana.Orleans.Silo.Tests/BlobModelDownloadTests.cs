using System.Diagnostics;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Microsoft.Extensions.Logging.Abstractions;
using Sana.Inference.Model;
using Sana.Inference.Pipeline;
using Sana.Orleans.Silo.ModelCache;
using Sana.Orleans.Silo.Options;
using Sana.TestSupport;
using Xunit.Abstractions;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// The model download against a real Azurite: the tiny model uploaded, fetched into a cache folder, checked against the
/// SHA-256 its manifest lists, reused on the next start, and refused (leaving nothing usable behind) when a blob is damaged.
/// </summary>
public sealed class BlobModelDownloadTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>, IDisposable
{
    private readonly string _cache = BlobModels.NewCacheDirectory();

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    private BlobModelDownloader Downloader(BlobContainerClient container, RequestCounter? counter = null, Action<ModelDownloadOptions>? configure = null)
    {
        var client = counter is null
            ? container
            : new BlobServiceClient(azurite.ConnectionString, counter.Options()).GetBlobContainerClient(container.Name);
        var options = new ModelDownloadOptions { CacheDirectory = _cache };
        configure?.Invoke(options);
        return new BlobModelDownloader(client, "tiny-sana/", options, NullLogger.Instance);
    }

    [Fact]
    public async Task The_tiny_model_downloads_into_the_cache_checks_out_and_generates_the_same_image_as_the_local_folder()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var counter = new RequestCounter();

        var result = await Downloader(container, counter).EnsureAsync(default);

        Assert.True(result.Downloaded);
        Assert.Equal(BlobModels.TinyFiles.Length - 1, result.Files);  // every file but the manifest
        Assert.StartsWith(Path.Combine(_cache, "tiny-sana-"), result.Folder, StringComparison.Ordinal);
        var name = Path.GetFileName(result.Folder);
        string[] folders = ["text_encoder", "tokenizer", "transformer", "transformer_kernels", "vae_decoder"];
        string[] expected = [name, .. folders.Select(d => $"{name}/{d}"), .. BlobModels.TinyFiles.Select(f => $"{name}/{f}")];
        Assert.Equal(expected.Order(StringComparer.Ordinal), BlobModels.Entries(_cache));
        foreach (var file in BlobModels.TinyFiles)
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(BlobModels.TinyModel, file)), await File.ReadAllBytesAsync(Path.Combine(result.Folder, file)));
        }

        Assert.Equal(BlobModels.TinyFiles.Length, counter.Requests.Count(r => r.StartsWith("GET ", StringComparison.Ordinal)));  // one GET per file
        Assert.Equal("tiny-sana", ModelFolder.Load(result.Folder).Name);
        var settings = new GenerationSettings { Prompt = "a red fox", Width = 64, Height = 64, Steps = 2 };
        using var downloaded = SanaPipeline.Load(result.Folder, new PipelineOptions { Device = ExecutionDevice.Cpu });
        using var local = SanaPipeline.Load(BlobModels.TinyModel, new PipelineOptions { Device = ExecutionDevice.Cpu });
        var image = Assert.Single(downloaded.Generate(settings, [new ImageSeed(0, 42)], 1, null, default));
        Assert.Equal(64 * 64 * 3, image.Rgb.Length);
        Assert.Equal(Assert.Single(local.Generate(settings, [new ImageSeed(0, 42)], 1, null, default)).Rgb, image.Rgb);
        output.WriteLineWith("download of the tiny model ({0} files, {1} bytes) from Azurite: {2:0.000} s", result.Files, result.Bytes, result.Elapsed.TotalSeconds);
    }

    [Fact]
    public async Task A_second_start_checks_the_cached_copy_and_downloads_nothing_but_the_manifest()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var first = await Downloader(container).EnsureAsync(default);
        var written = Directory.EnumerateFiles(first.Folder, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var counter = new RequestCounter();

        var second = await Downloader(container, counter).EnsureAsync(default);

        Assert.False(second.Downloaded);
        Assert.Equal(first.Folder, second.Folder);
        Assert.Equal([$"GET /devstoreaccount1/{container.Name}/tiny-sana/sana-model.json"], counter.Requests);
        Assert.All(written, w => Assert.Equal(w.Value, File.GetLastWriteTimeUtc(w.Key)));
        output.WriteLineWith("second start (cache checked, {0} files re-hashed): {1:0.000} s", second.Files, second.Elapsed.TotalSeconds);
    }

    [Fact]
    public async Task With_the_manifest_pinned_a_cached_copy_is_used_without_any_request_to_storage()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var pin = await ModelChecksums.Sha256OfFileAsync(Path.Combine(BlobModels.TinyModel, "sana-model.json"), default);
        var first = await Downloader(container, configure: o => o.ManifestSha256 = pin.ToUpperInvariant()).EnsureAsync(default);
        var counter = new RequestCounter();

        var second = await Downloader(container, counter, o => o.ManifestSha256 = pin).EnsureAsync(default);

        Assert.True(first.Downloaded);
        Assert.False(second.Downloaded);
        Assert.Equal(first.Folder, second.Folder);
        Assert.Empty(counter.Requests);
    }

    [Fact]
    public async Task A_corrupted_blob_fails_in_one_line_naming_the_file_and_both_hashes_and_leaves_nothing_in_the_cache()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var actual = await BlobModels.CorruptAsync(container, "tiny-sana/transformer/model.onnx", "transformer/model.onnx");

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => Downloader(container).EnsureAsync(default));

        Assert.Equal(
            $"model file 'transformer/model.onnx' fails its checksum: sha256 expected {BlobModels.ListedSha256("transformer/model.onnx")}, actual {actual} "
            + $"(downloaded from {BlobModels.FolderUrl(container)}transformer/model.onnx)",
            error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Empty(BlobModels.Entries(_cache));
    }

    [Fact]
    public async Task A_listed_file_missing_from_the_container_fails_naming_it()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        await container.GetBlobClient("tiny-sana/vae_decoder/model.onnx").DeleteAsync();

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => Downloader(container).EnsureAsync(default));

        Assert.StartsWith("model file 'vae_decoder/model.onnx' is missing: sana-model.json lists it, but there is no blob ", error.Message, StringComparison.Ordinal);
        Assert.Empty(BlobModels.Entries(_cache));
    }

    [Fact]
    public async Task A_cached_copy_damaged_on_disk_is_removed_and_downloaded_again()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var first = await Downloader(container).EnsureAsync(default);
        await File.WriteAllTextAsync(Path.Combine(first.Folder, "tokenizer", "tokenizer.json"), "{}");

        var second = await Downloader(container).EnsureAsync(default);

        Assert.True(second.Downloaded);
        Assert.Equal(first.Folder, second.Folder);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(BlobModels.TinyModel, "tokenizer", "tokenizer.json")),
            await File.ReadAllBytesAsync(Path.Combine(second.Folder, "tokenizer", "tokenizer.json")));
        Assert.DoesNotContain(BlobModels.Entries(_cache), e => e.StartsWith(".partial-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_download_a_crash_left_unfinished_is_never_used_and_is_removed_by_the_next_start()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var abandoned = Path.Combine(_cache, ".partial-crashed");
        Directory.CreateDirectory(Path.Combine(abandoned, "transformer"));
        await File.WriteAllBytesAsync(Path.Combine(abandoned, "transformer", "model.onnx"), new byte[100]);
        await File.WriteAllTextAsync(abandoned + ".lock", "");

        var result = await Downloader(container).EnsureAsync(default);

        Assert.True(result.Downloaded);
        Assert.False(Directory.Exists(abandoned));
        Assert.False(File.Exists(abandoned + ".lock"));
        Assert.Equal([Path.GetFileName(result.Folder)], Directory.GetFileSystemEntries(_cache).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_download_in_progress_elsewhere_is_left_alone()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var running = Path.Combine(_cache, ".partial-running");
        Directory.CreateDirectory(running);
        using (new FileStream(running + ".lock", FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
        {
            await Downloader(container).EnsureAsync(default);

            Assert.True(Directory.Exists(running));
        }
    }

    [Fact]
    public async Task A_manifest_without_checksums_is_refused_with_the_script_that_adds_them()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(BlobModels.TinyModel, "sana-model.json")))!.AsObject();
        manifest.Remove("files");
        await container.GetBlobClient("tiny-sana/sana-model.json").UploadAsync(BinaryData.FromString(manifest.ToJsonString()), overwrite: true);

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => Downloader(container).EnsureAsync(default));

        Assert.Contains("sana-model.json lists no files with their SHA-256", error.Message, StringComparison.Ordinal);
        Assert.Contains("tools/export/model_checksums.py", error.Message, StringComparison.Ordinal);
        Assert.Empty(BlobModels.Entries(_cache));
    }

    [Fact]
    public async Task A_pinned_manifest_that_differs_from_the_uploaded_one_is_refused_with_both_hashes()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var actual = await ModelChecksums.Sha256OfFileAsync(Path.Combine(BlobModels.TinyModel, "sana-model.json"), default);
        var pin = new string('a', 64);

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => Downloader(container, configure: o => o.ManifestSha256 = pin).EnsureAsync(default));

        Assert.Contains($"sana-model.json fails its pin: sha256 expected {pin} (Sana:ModelDownload:ManifestSha256), actual {actual}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_uploaded_while_the_silo_waits_is_picked_up()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var manifest = container.GetBlobClient("tiny-sana/sana-model.json");
        await manifest.DeleteAsync();
        var counter = new RequestCounter();
        var download = Downloader(container, counter, o => (o.WaitForUpload, o.PollInterval) = (TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100))).EnsureAsync(default);
        var deadline = Stopwatch.StartNew();
        while (counter.Requests.Count < 2 && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);
        }

        Assert.False(download.IsCompleted);
        await manifest.UploadAsync(Path.Combine(BlobModels.TinyModel, "sana-model.json"));

        var result = await download.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.Downloaded);
    }

    [Fact]
    public async Task Without_waiting_a_missing_model_fails_at_once_saying_what_is_missing()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var downloader = new BlobModelDownloader(container, "no-such-model", new ModelDownloadOptions { CacheDirectory = _cache }, NullLogger.Instance);

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => downloader.EnsureAsync(default));

        Assert.Equal($"no model at {container.Uri.AbsoluteUri}/no-such-model/: sana-model.json is not there (404 BlobNotFound)", error.Message);
    }

    [Fact]
    public async Task A_sas_url_downloads_the_model_and_no_error_or_location_shows_the_signature()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var sas = container.GenerateSasUri(BlobContainerSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));
        var signature = Uri.UnescapeDataString(sas.Query.Split('&').Single(p => p.StartsWith("sig=", StringComparison.Ordinal))[4..]);
        var location = ModelLocation.Parse($"{container.Uri.AbsoluteUri}/tiny-sana{sas.Query}");
        var options = new ModelDownloadOptions { CacheDirectory = _cache };

        var result = await new BlobModelDownloader(location.CreateContainerClient(null), location.Prefix, options, NullLogger.Instance).EnsureAsync(default);
        await BlobModels.CorruptAsync(container, "tiny-sana/tokenizer/tokenizer.model", "tokenizer/tokenizer.model");
        Directory.Delete(result.Folder, recursive: true);
        var error = await Assert.ThrowsAsync<ModelDownloadException>(
            () => new BlobModelDownloader(location.CreateContainerClient(null), location.Prefix, options, NullLogger.Instance).EnsureAsync(default));

        Assert.True(result.Downloaded);
        Assert.Equal($"{container.Uri.AbsoluteUri}/tiny-sana/?<redacted>", location.Display);
        Assert.Contains("model file 'tokenizer/tokenizer.model' fails its checksum", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(signature, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", error.ToString(), StringComparison.Ordinal);
    }
}

internal static class OutputExtensions
{
    public static void WriteLineWith(this ITestOutputHelper output, string format, params object[] args) =>
        output.WriteLine(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
}
