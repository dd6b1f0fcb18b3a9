using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sana.Cli.Cluster;
using Sana.Inference.Model;
using Sana.Inference.Pipeline;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Jobs;

namespace Sana.Cli.Commands;

/// <summary>
/// `sana generate`: K images of one prompt as one job on a Sana cluster, image i from seed S+i. Without --cluster it
/// starts an in-process cluster (this machine's GPUs or CPU workers, images under --out), so one command runs the
/// whole system; with --cluster it submits to a running one. Bad input prints one line, exits 2, writes nothing.
/// </summary>
internal static class GenerateCommand
{
    /// <summary>How long the in-process silo gets to stop after its job ended or was cancelled.</summary>
    private static readonly TimeSpan SiloStopTimeout = TimeSpan.FromSeconds(10);

    public static Command Create(Interrupts interrupts)
    {
        var options = new GenerateOptions();
        var command = new Command("generate", "Generate images from a prompt as a job on a Sana cluster (in-process unless --cluster is given). Ctrl+C or SIGTERM cancels the in-process job (exit 130 or 143); with --cluster it stops following the job unless --cancel-on-interrupt is given; a second Ctrl+C exits at once.");
        options.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(options, parse, interrupts, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(GenerateOptions options, ParseResult parse, Interrupts interrupts, CancellationToken cancellationToken)
    {
        try
        {
            var request = options.Read(parse);
            var run = request.Cluster is null
                ? await RunInProcessAsync(request, cancellationToken).ConfigureAwait(false)
                : await RunOnClusterAsync(request, cancellationToken).ConfigureAwait(false);
            return run switch
            {
                null => ExitCodes.Failure,
                { Interrupted: true } => interrupts.ExitCode ?? ExitCodes.Interrupted,
                { Status.State: JobState.Completed } => ExitCodes.Success,
                _ => ExitCodes.Failure,
            };
        }
        catch (CommandLineException e)
        {
            Console.Error.WriteLine($"sana generate: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("sana: interrupted before the job was submitted; nothing stored");
            return interrupts.ExitCode ?? ExitCodes.Interrupted;
        }
    }

    private static async Task<JobRunResult?> RunInProcessAsync(GenerateRequest request, CancellationToken cancellationToken)
    {
        var modelPath = request.ModelPath ?? BundledModel.Path;
        ModelFolder folder;
        try
        {
            // The cheap checks first, so a wrong path, manifest or output folder answers at once, before a silo starts.
            folder = ModelFolder.Load(modelPath);
        }
        catch (ModelFolderException e)
        {
            throw new CommandLineException("--model", e.Message);
        }

        if (OutputFolder.WhyNotWritable(request.OutputFolder) is { } unwritable)
        {
            throw new CommandLineException("--out", unwritable);
        }

        var native = folder.Manifest.Transformer.SampleSize * folder.PixelFactor;
        var job = request.Job with { Width = request.Width ?? native, Height = request.Height ?? native, Model = folder.Name };
        using var host = LocalCluster.Build(folder.Root, request.Devices, request.BatchSize, request.OutputFolder, request.Verbose, request.CudaProviderOptions, request.TransformerGraph);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await WorkerFailureAsync(host).ConfigureAwait(false) is { } failure)
            {
                throw new CommandLineException(failure);
            }

            var images = Path.GetFullPath(Path.Combine(request.OutputFolder, request.JobId));
            var workers = host.Services.GetRequiredService<IGpuInventory>().Workers;
            var header = $"sana: job {request.JobId}: {Describe(job)} {job.Width}x{job.Height}, seed {job.Seed}, on an in-process cluster ({string.Join(", ", workers.Select(w => w.Device))}, model {folder.Name}); images under {images}";
            return await RunJobAsync(host.Services.GetRequiredService<ISanaClient>(), job, request.JobId, header, $"under {images}", OnInterrupt.CancelJob, cancellationToken, request.PromptLines).ConfigureAwait(false);
        }
        finally
        {
            using var stopping = new CancellationTokenSource(SiloStopTimeout);
            await host.StopAsync(stopping.Token).ConfigureAwait(false);
        }
    }

    private static async Task<JobRunResult?> RunOnClusterAsync(GenerateRequest request, CancellationToken cancellationToken)
    {
        IHost built;
        try
        {
            built = ClusterClient.Build(request.Cluster!, request.ClusterId, request.Verbose);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            throw new CommandLineException(string.Join("; ", e.Failures));
        }

        using var host = built;
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"sana generate: cannot reach the cluster '{request.ClusterId}' at {request.Cluster}: {e.Message}");
            return null;
        }

        try
        {
            var client = host.Services.GetRequiredService<ISanaClient>();
            var native = await client.GetNativeSizeAsync(request.Job.Model, cancellationToken).ConfigureAwait(false);
            var job = request.Job with { Width = request.Width ?? native ?? request.Job.Width, Height = request.Height ?? native ?? request.Job.Height };
            var header = $"sana: job {request.JobId}: {Describe(job)} {job.Width}x{job.Height}, seed {job.Seed}, on cluster '{request.ClusterId}'";
            var onInterrupt = request.CancelOnInterrupt ? OnInterrupt.CancelJob : OnInterrupt.LeaveRunning;
            return await RunJobAsync(client, job, request.JobId, header, "in the cluster's image store", onInterrupt, cancellationToken, request.PromptLines).ConfigureAwait(false);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static string Describe(ImageJobRequest job) =>
        job.Items is { Length: > 0 } items ? $"{job.ImageCount} image(s) of {items.Length} prompt(s)" : $"{job.Count} image(s)";

    /// <summary>The prompt file's line and the item's own field of a request field "items[k].field", or (0, "").</summary>
    private static (int Line, string Field) ItemLine(string? field, IReadOnlyList<int> lines)
    {
        var match = field is null ? null : System.Text.RegularExpressions.Regex.Match(field, @"^items\[(\d+)\]\.?(.*)$");
        return match is { Success: true } && int.TryParse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var k) && k < lines.Count && field!.Length < 200
            ? (lines[k], match.Groups[2].Value.Length > 0 ? match.Groups[2].Value : "line")
            : (0, "");
    }

    private static async Task<JobRunResult?> RunJobAsync(
        ISanaClient client, ImageJobRequest job, string jobId, string header, string where, OnInterrupt onInterrupt, CancellationToken cancellationToken, IReadOnlyList<int>? lines = null)
    {
        try
        {
            return await JobRunner.OnConsole(client).RunAsync(job, jobId, header, where, onInterrupt, cancellationToken).ConfigureAwait(false);
        }
        catch (JobRequestException e)
        {
            throw lines is not null && ItemLine(e.Field, lines) is var (line, field) && line > 0
                ? new CommandLineException("--prompts", $"line {line}: {field}: {e.Message[(e.Field!.Length + 1)..].TrimStart()}")
                : CommandLineException.FromField(e.Field, e.Message);
        }
        catch (ClusterBusyException e)
        {
            Console.Error.WriteLine($"sana generate: the cluster stayed {e.Message}");
            return null;
        }
    }

    /// <summary>Why no local worker serves, when none does (a model graph that does not load, a missing GPU).</summary>
    private static async Task<string?> WorkerFailureAsync(IHost host)
    {
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var gpus = await grains.GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).GetGpus().ConfigureAwait(false);
        if (gpus.Length > 0)
        {
            return null;
        }

        var errors = new List<string>();
        foreach (var worker in host.Services.GetRequiredService<IGpuInventory>().Workers)
        {
            var status = await grains.GetGrain<IGpuWorkerGrain>(GpuKey.Format(LocalCluster.SiloName, worker.Index)).GetStatus().ConfigureAwait(false);
            errors.Add($"{worker.Device}: {status.Error ?? "not ready"}");
        }

        return errors.Count == 0 ? "no worker to run on (no GPU found and CPU workers set to 0)" : string.Join("; ", errors);
    }
}
