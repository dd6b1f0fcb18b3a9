using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Sana.Inference.Model;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.ModelCache;

/// <summary>What <see cref="BlobModelDownloader.EnsureAsync"/> did: the local folder, and whether it had to download.</summary>
public sealed record ModelDownloadResult(string Folder, bool Downloaded, int Files, long Bytes, TimeSpan Elapsed);

/// <summary>
/// Makes a model folder from blob storage available locally, checked: reads sana-model.json (its SHA-256 optionally
/// pinned), and uses the cached copy of exactly that manifest when every file still matches the SHA-256 and size the
/// manifest lists; otherwise downloads every listed file into a locked partial folder, checks each, checks that the
/// folder loads, and renames it into place. Nothing that fails a check is ever left under a final name.
/// </summary>
public sealed partial class BlobModelDownloader
{
    private const int TransferBlockSize = 16 << 20;
    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly ModelDownloadOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <param name="container">The container; a SAS goes in as a credential, not in its URI.</param>
    /// <param name="prefix">The model's folder in the container: "" or "name/".</param>
    /// <param name="options">Cache folder, pin, waiting, parallelism.</param>
    /// <param name="logger">Progress and cache decisions.</param>
    /// <param name="time">Clock for waiting; the system clock by default.</param>
    public BlobModelDownloader(BlobContainerClient container, string prefix, ModelDownloadOptions options, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(options);
        _container = container;
        _prefix = string.IsNullOrEmpty(prefix) ? "" : prefix.Trim('/') + "/";
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The model folder's URL without any query: what messages and logs show.</summary>
    public string Source => $"{_container.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/')}/{_prefix}";

    public async Task<ModelDownloadResult> EnsureAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var root = Path.GetFullPath(_options.CacheDirectory);
        Directory.CreateDirectory(root);
        var pin = string.IsNullOrEmpty(_options.ManifestSha256) ? null : _options.ManifestSha256.ToLowerInvariant();
        if (pin is not null && await FindPinnedAsync(root, pin, cancellationToken).ConfigureAwait(false) is { } pinned)
        {
            LogReused(Source, pinned.Folder, started.Elapsed.TotalSeconds);
            return pinned with { Elapsed = started.Elapsed };
        }

        var manifestBytes = await ReadManifestAsync(cancellationToken).ConfigureAwait(false);
        var manifestSha = Convert.ToHexStringLower(SHA256.HashData(manifestBytes));
        if (pin is not null && pin != manifestSha)
        {
            throw new ModelDownloadException($"{Source}{ModelManifest.FileName} fails its pin: sha256 expected {pin} "
                + $"(Sana:ModelDownload:ManifestSha256), actual {manifestSha}");
        }

        var manifest = ParseManifest(manifestBytes);
        var files = manifest.Files!;
        var final = Path.Combine(root, CacheFolder.NameFor(manifest.Name, manifestSha));
        var bytes = files.Sum(f => f.Size);
        if (Directory.Exists(final))
        {
            if (await CachedProblemAsync(final, manifestBytes, files, cancellationToken).ConfigureAwait(false) is not { } problem)
            {
                LogReused(Source, final, started.Elapsed.TotalSeconds);
                return new ModelDownloadResult(final, false, files.Count, bytes, started.Elapsed);
            }

            LogCacheDamaged(final, problem);
            CacheFolder.Discard(root, final);
        }

        foreach (var abandoned in CacheFolder.RemoveAbandoned(root))
        {
            LogAbandonedRemoved(abandoned);
        }

        LogDownloading(Source, files.Count, bytes, final);
        await DownloadAsync(root, final, manifestBytes, files, cancellationToken).ConfigureAwait(false);
        LogDownloaded(Source, files.Count, bytes, started.Elapsed.TotalSeconds, final);
        return new ModelDownloadResult(final, true, files.Count, bytes, started.Elapsed);
    }

    private async Task DownloadAsync(string root, string final, byte[] manifestBytes, IReadOnlyList<ModelFileEntry> files, CancellationToken cancellationToken)
    {
        using var partial = CacheFolder.StartPartial(root);
        var work = Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
            (file, token) => new ValueTask(DownloadFileAsync(partial.Path, file, token)));
        try
        {
            await work.ConfigureAwait(false);
        }
        catch when (work.Exception?.InnerExceptions.OfType<ModelDownloadException>().FirstOrDefault() is { } first)
        {
            ExceptionDispatchInfo.Throw(first);
        }

        await File.WriteAllBytesAsync(Path.Combine(partial.Path, ModelManifest.FileName), manifestBytes, cancellationToken).ConfigureAwait(false);
        try
        {
            ModelFolder.Load(partial.Path);
        }
        catch (ModelFolderException e)
        {
            throw new ModelDownloadException($"the model at {Source} does not load: {e.Message.Replace(partial.Path, "<download>", StringComparison.Ordinal)}", e);
        }

        if (!partial.TryCommit(final)
            && await CachedProblemAsync(final, manifestBytes, files, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            throw new ModelDownloadException($"another download put a damaged copy at {final}: {problem}");
        }
    }

    private async Task DownloadFileAsync(string folder, ModelFileEntry file, CancellationToken cancellationToken)
    {
        var target = Path.Combine(folder, file.Path.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var blob = _container.GetBlobClient(_prefix + file.Path);
        var options = new BlobDownloadToOptions
        {
            TransferOptions = new StorageTransferOptions
            {
                MaximumConcurrency = _options.MaxConcurrency,
                InitialTransferSize = TransferBlockSize,
                MaximumTransferSize = TransferBlockSize,
            },
        };
        try
        {
            await blob.DownloadToAsync(target, options, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new ModelDownloadException($"model file '{file.Path}' is missing: sana-model.json lists it, but there is no blob {Source}{file.Path}", e);
        }
        catch (RequestFailedException e)
        {
            throw new ModelDownloadException($"model file '{file.Path}': downloading {Source}{file.Path} failed ({e.Status} {e.ErrorCode})", e);
        }

        if (await ModelChecksums.ProblemAsync(folder, file, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            throw new ModelDownloadException($"{problem} (downloaded from {Source}{file.Path})");
        }
    }

    /// <summary>sana-model.json's bytes; while it is missing or access is refused, waits up to <see cref="ModelDownloadOptions.WaitForUpload"/>.</summary>
    private async Task<byte[]> ReadManifestAsync(CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient(_prefix + ModelManifest.FileName);
        var deadline = _time.GetUtcNow() + _options.WaitForUpload;
        while (true)
        {
            string why;
            try
            {
                var content = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
                return content.Value.Content.ToArray();
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                why = $"{ModelManifest.FileName} is not there (404 {e.ErrorCode})";
            }
            catch (RequestFailedException e) when (e.Status == 403)
            {
                why = $"access was refused (403 {e.ErrorCode}): the silo's identity needs Storage Blob Data Reader on the container, or the SAS the 'r' permission";
            }
            catch (AuthenticationFailedException e)
            {
                why = $"no credential for storage: {FirstLine(e.Message)}";
            }
            catch (Exception e) when (e is AggregateException or HttpRequestException || e is RequestFailedException { Status: 0 })
            {
                why = $"storage is not reachable: {FirstLine(e.Message)}";
            }
            catch (RequestFailedException e)
            {
                throw new ModelDownloadException($"reading {Source}{ModelManifest.FileName} failed ({e.Status} {e.ErrorCode})", e);
            }

            if (_time.GetUtcNow() + _options.PollInterval > deadline)
            {
                var waited = _options.WaitForUpload > TimeSpan.Zero ? $" (after waiting {_options.WaitForUpload})" : "";
                throw new ModelDownloadException($"no model at {Source}: {why}{waited}");
            }

            LogWaiting(Source, why, deadline);
            await Task.Delay(_options.PollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private ModelManifest ParseManifest(byte[] bytes)
    {
        var name = Source + ModelManifest.FileName;
        ModelManifest manifest;
        try
        {
            manifest = ModelManifest.Parse(Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF'), name);
        }
        catch (ModelFolderException e)
        {
            throw new ModelDownloadException(e.Message, e);
        }

        if (manifest.Files is not { Count: > 0 } files)
        {
            throw new ModelDownloadException($"{name} lists no files with their SHA-256, so a download cannot be checked: "
                + "add them with `python tools/export/model_checksums.py MODEL_DIR` and upload the manifest again");
        }

        var problems = ModelFolder.FileListProblems(files);
        return problems.Count == 0 ? manifest : throw new ModelDownloadException($"{name}: {string.Join("; ", problems)}");
    }

    /// <summary>Null when <paramref name="folder"/> holds exactly this manifest and every listed file matches.</summary>
    private static async Task<string?> CachedProblemAsync(string folder, byte[] manifestBytes, IReadOnlyList<ModelFileEntry> files, CancellationToken cancellationToken)
    {
        var manifestPath = Path.Combine(folder, ModelManifest.FileName);
        if (!File.Exists(manifestPath) || !(await File.ReadAllBytesAsync(manifestPath, cancellationToken).ConfigureAwait(false)).AsSpan().SequenceEqual(manifestBytes))
        {
            return $"{ModelManifest.FileName} is missing or differs";
        }

        return await ModelChecksums.FirstProblemAsync(folder, files, Math.Max(1, Environment.ProcessorCount), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>With a pinned manifest: its cached copy, checked, without any request to storage; null when there is none.</summary>
    private async Task<ModelDownloadResult?> FindPinnedAsync(string root, string pin, CancellationToken cancellationToken)
    {
        foreach (var folder in Directory.EnumerateDirectories(root, "*-" + pin[..16]))
        {
            var manifestPath = Path.Combine(folder, ModelManifest.FileName);
            if (!File.Exists(manifestPath))
            {
                continue;
            }

            var bytes = await File.ReadAllBytesAsync(manifestPath, cancellationToken).ConfigureAwait(false);
            if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != pin)
            {
                continue;
            }

            var files = ParseManifest(bytes).Files!;
            if (await CachedProblemAsync(folder, bytes, files, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                LogCacheDamaged(folder, problem);
                continue;
            }

            return new ModelDownloadResult(folder, false, files.Count, files.Sum(f => f.Size), TimeSpan.Zero);
        }

        return null;
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
