using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Sas;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Jobs;
using Sana.Orleans.Silo.Hosting;
using Sana.Orleans.Silo.ModelCache;
using Sana.TestSupport;
using Xunit.Abstractions;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// A whole silo (production host, real ONNX pipeline on a CPU worker) whose Sana:ModelPath is a folder in Azurite: it
/// downloads and checks the model before its worker loads it, generates from it, reuses the cache on its next start,
/// and does not start at all when a blob fails its checksum.
/// </summary>
public sealed class BlobModelSiloTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>, IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly string _cache = BlobModels.NewCacheDirectory();
    private readonly string _images = Directory.CreateTempSubdirectory("sana-blob-model-images-").FullName;

    public void Dispose()
    {
        Directory.Delete(_cache, recursive: true);
        Directory.Delete(_images, recursive: true);
    }

    private string[] Args(string modelPath, bool connectionString = true) =>
        SiloArgs(modelPath, _cache, _images, connectionString ? azurite.ConnectionString : null);

    /// <summary>A one-CPU-worker silo on free ports whose model is <paramref name="modelPath"/>.</summary>
    internal static string[] SiloArgs(string modelPath, string cache, string images, string? connectionString)
    {
        var ports = LoopbackPorts.Free(2);
        var settings = new Dictionary<string, string>
        {
            ["Sana:Silo:Name"] = "blob-model",
            ["Sana:Silo:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["Sana:Silo:PrimarySiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["Sana:Silo:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Sana:Silo:HttpPort"] = "0",
            ["Sana:Workers:DiscoverGpus"] = "false",
            ["Sana:Workers:CpuWorkers"] = "1",
            ["Sana:ModelPath"] = modelPath,
            ["Sana:ModelDownload:CacheDirectory"] = cache,
            ["Sana:ImageStore:Path"] = images,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Sana.Orleans.Silo.ModelCache"] = "Information",
            ["Logging:LogLevel:Orleans.Runtime.SiloLifecycleSubject"] = "Debug",
        };
        if (connectionString is not null)
        {
            settings["Sana:ModelDownload:ConnectionString"] = connectionString;
        }

        return [.. settings.Select(kv => $"--{kv.Key}={kv.Value}")];
    }

    private static async Task<WebApplication> StartAsync(string[] args, CapturedLogs logs)
    {
        var app = SanaSilo.Build(args, configureHost: h => h.Logging.AddProvider(logs));
        try
        {
            await app.StartAsync().WaitAsync(Bound);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    private static async Task StopAsync(WebApplication app)
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await app.StopAsync(stop.Token);
        }

        await app.DisposeAsync();
    }

    [Fact]
    public async Task A_silo_downloads_its_blob_model_before_its_worker_loads_it_generates_with_it_and_reuses_the_cache_next_start()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var logs = new CapturedLogs();
        var started = Stopwatch.StartNew();
        var app = await StartAsync(Args(BlobModels.FolderUrl(container)), logs);
        var firstStart = started.Elapsed;
        string folder;
        try
        {
            var resolver = app.Services.GetRequiredService<ModelFolderResolver>();
            Assert.True(resolver.LastResult!.Downloaded);
            folder = resolver.Folder;
            Assert.Equal(_cache, Path.GetDirectoryName(folder));
            Assert.Equal(folder, Assert.Single(app.Services.GetRequiredService<IGpuInventory>().Workers).ModelFolder);

            await app.Services.GetRequiredService<IGrainFactory>().GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).WaitForGpus(1).WaitAsync(Bound);
            var sana = app.Services.GetRequiredService<ISanaClient>();
            var jobId = await sana.SubmitAsync(new ImageJobRequest { Prompt = "a red fox", Count = 1, Width = 64, Height = 64, Steps = 2, Seed = 7 }, "blob-model-job");
            var image = Assert.Single(await sana.WatchAsync(jobId).ToListAsync().AsTask().WaitAsync(Bound)).Image;
            Assert.Equal(JobState.Completed, (await sana.GetStatusAsync(jobId)).State);
            Assert.True(new FileInfo(image.ImageReference).Length > 0);
            // The download finished before the silo's lifecycle (and so its GPU worker) started.
            var entries = logs.Entries.ToList();
            var downloaded = entries.FindIndex(e => e.Message.Contains("downloaded and checked", StringComparison.Ordinal));
            var lifecycle = entries.FindIndex(e => e.Category.EndsWith("SiloLifecycleSubject", StringComparison.Ordinal));
            Assert.True(downloaded >= 0 && lifecycle > downloaded, $"download log at {downloaded}, first silo lifecycle log at {lifecycle}");
        }
        finally
        {
            await StopAsync(app);
        }

        var written = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var again = new CapturedLogs();
        started.Restart();
        app = await StartAsync(Args(BlobModels.FolderUrl(container)), again);
        var secondStart = started.Elapsed;
        try
        {
            var resolver = app.Services.GetRequiredService<ModelFolderResolver>();
            Assert.False(resolver.LastResult!.Downloaded);
            Assert.Equal(folder, resolver.Folder);
            Assert.All(written, w => Assert.Equal(w.Value, File.GetLastWriteTimeUtc(w.Key)));
            Assert.Contains(again.Entries, e => e.Message.Contains("checks out", StringComparison.Ordinal) && e.Message.Contains("nothing downloaded", StringComparison.Ordinal));
            Assert.Equal([Path.GetFileName(folder)], Directory.GetFileSystemEntries(_cache).Select(Path.GetFileName));
        }
        finally
        {
            await StopAsync(app);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"silo start with the tiny model from Azurite: {firstStart.TotalSeconds:0.00} s (download), {secondStart.TotalSeconds:0.00} s (cache reused)"));
    }

    [Fact]
    public async Task A_silo_whose_model_fails_its_checksum_does_not_start_and_prints_one_line_naming_the_file_and_hashes()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        var actual = await BlobModels.CorruptAsync(container, "tiny-sana/vae_decoder/model.onnx", "vae_decoder/model.onnx");
        using var console = new StringWriter();
        using var stop = new CancellationTokenSource(Bound);

        var code = await SanaSilo.RunAsync(Args(BlobModels.FolderUrl(container)), console, cancellationToken: stop.Token);

        Assert.Equal(1, code);
        Assert.Equal(
            $"sana silo: model: model file 'vae_decoder/model.onnx' fails its checksum: sha256 expected {BlobModels.ListedSha256("vae_decoder/model.onnx")}, "
            + $"actual {actual} (downloaded from {BlobModels.FolderUrl(container)}vae_decoder/model.onnx)" + Environment.NewLine,
            console.ToString());
        Assert.Empty(BlobModels.Entries(_cache));
    }

    [Fact]
    public async Task The_sas_of_a_model_url_appears_in_no_log_line_and_no_error_when_the_start_fails()
    {
        var container = await BlobModels.UploadTinyModelAsync(azurite.ConnectionString);
        await BlobModels.CorruptAsync(container, "tiny-sana/text_encoder/model.onnx", "text_encoder/model.onnx");
        var sas = container.GenerateSasUri(BlobContainerSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1));
        var signature = Uri.UnescapeDataString(sas.Query.Split('&').Single(p => p.StartsWith("sig=", StringComparison.Ordinal))[4..]);
        var logs = new CapturedLogs();
        var args = Args($"{container.Uri.AbsoluteUri}/tiny-sana/{sas.Query}", connectionString: false);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync([.. args, "--Logging:LogLevel:Default=Trace"], logs));

        var model = ModelDownloadException.Find(error);
        Assert.NotNull(model);
        Assert.Contains("model file 'text_encoder/model.onnx' fails its checksum", model.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(signature, error.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(logs.Entries);
        Assert.DoesNotContain(signature, logs.AllText(), StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", logs.AllText(), StringComparison.Ordinal);
    }
}
