using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.ModelCache;

/// <summary>
/// Turns <c>Sana:ModelPath</c> into the local folder the workers load. A local path is used as it is; a blob folder URL
/// is downloaded (or found in the cache) and checked in <see cref="StartingAsync"/>, which the host runs before any
/// hosted service starts, so before the Orleans silo and its GPU workers. A failure there stops the start with a
/// <see cref="ModelDownloadException"/>: the silo never runs with a model that did not check out.
/// </summary>
public sealed class ModelFolderResolver(
    IOptions<WorkerOptions> workers,
    IOptions<ModelDownloadOptions> download,
    ILogger<BlobModelDownloader> logger) : IHostedLifecycleService
{
    private string? _folder;

    /// <summary>Where the model is, as configured (printable: any SAS is redacted).</summary>
    public ModelLocation Location => ModelLocation.Parse(workers.Value.ModelPath);

    /// <summary>What the start-up download did; null for a local model or before start.</summary>
    public ModelDownloadResult? LastResult { get; private set; }

    /// <summary>The local model folder (absolute). For a blob model, only after the host has started.</summary>
    /// <exception cref="InvalidOperationException">a blob model asked for before <see cref="StartingAsync"/> fetched it.</exception>
    public string Folder
    {
        get
        {
            if (Volatile.Read(ref _folder) is { } resolved)
            {
                return resolved;
            }

            var location = Location;
            return location.IsBlob
                ? throw new InvalidOperationException($"the model at {location.Display} is not downloaded yet: it is fetched when the host starts")
                : Path.GetFullPath(location.LocalPath!);
        }
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var location = Location;
        if (!location.IsBlob)
        {
            return;
        }

        var options = download.Value;
        var container = location.CreateContainerClient(options.ConnectionString);
        var result = await new BlobModelDownloader(container, location.Prefix, options, logger)
            .EnsureAsync(cancellationToken).ConfigureAwait(false);
        LastResult = result;
        Volatile.Write(ref _folder, result.Folder);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
