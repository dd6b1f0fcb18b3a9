using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;

namespace Sana.Orleans.Silo.Tests;

/// <summary>The tiny model folder put into an Azurite container, and helpers to damage it, count requests, find caches.</summary>
public static class BlobModels
{
    /// <summary>tests/fixtures/tiny-sana/model of this repository.</summary>
    public static string TinyModel { get; } = FindTinyModel();

    public static readonly string[] TinyFiles =
    [
        "sana-model.json", "text_encoder/model.onnx", "tokenizer/tokenizer.json", "tokenizer/tokenizer.model",
        "tokenizer/tokenizer_config.json", "transformer/model.onnx", "transformer_kernels/model.onnx", "vae_decoder/model.onnx",
    ];

    /// <summary>A new container in Azurite, with the tiny model's files under "<paramref name="prefix"/>/".</summary>
    public static async Task<BlobContainerClient> UploadTinyModelAsync(string connectionString, string prefix = "tiny-sana")
    {
        var container = new BlobServiceClient(connectionString).GetBlobContainerClient("models-" + Guid.NewGuid().ToString("N")[..10]);
        await container.CreateAsync();
        foreach (var file in TinyFiles)
        {
            await container.GetBlobClient($"{prefix}/{file}").UploadAsync(Path.Combine(TinyModel, file));
        }

        return container;
    }

    /// <summary>The URL Sana:ModelPath takes for that folder.</summary>
    public static string FolderUrl(BlobContainerClient container, string prefix = "tiny-sana") => $"{container.Uri.AbsoluteUri}/{prefix}/";

    /// <summary>Replaces a blob with the fixture file's bytes, one byte flipped (same size); returns the new SHA-256.</summary>
    public static async Task<string> CorruptAsync(BlobContainerClient container, string blobName, string fixtureFile)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(TinyModel, fixtureFile));
        bytes[bytes.Length / 2] ^= 0x5A;
        await container.GetBlobClient(blobName).UploadAsync(BinaryData.FromBytes(bytes), overwrite: true);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>The SHA-256 the fixture manifest lists for a file.</summary>
    public static string ListedSha256(string file) =>
        (string)JsonNode.Parse(File.ReadAllText(Path.Combine(TinyModel, "sana-model.json")))!["files"]!.AsArray()
            .Single(f => (string)f!["path"]! == file)!["sha256"]!;

    public static string NewCacheDirectory() => Directory.CreateTempSubdirectory("sana-model-cache-").FullName;

    /// <summary>Everything under a cache folder, relative, sorted: what a test expects to be there (or not).</summary>
    public static IReadOnlyList<string> Entries(string cache) =>
        [.. Directory.EnumerateFileSystemEntries(cache, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(cache, p).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    private static string FindTinyModel()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "tiny-sana", "model");
            if (File.Exists(Path.Combine(candidate, "sana-model.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/fixtures/tiny-sana/model not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Counts the HTTP requests a blob client sends (method and path), to show what a start did or did not fetch.</summary>
public sealed class RequestCounter : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentQueue<string> _requests = new();

    public IReadOnlyList<string> Requests => [.. _requests];

    public BlobClientOptions Options()
    {
        var options = new BlobClientOptions();
        options.AddPolicy(this, HttpPipelinePosition.PerCall);
        return options;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var path = Uri.UnescapeDataString(message.Request.Uri.Path);
        _requests.Enqueue($"{message.Request.Method} {(path.StartsWith('/') ? path : "/" + path)}");
    }
}
