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
    public static Command Create()
    {
        var options = new GenerateOptions();
        var command = new Command("generate", "Generate images from a prompt as a job on a Sana cluster (in-process unless --cluster is given).");
        options.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(options, parse, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(GenerateOptions options, ParseResult parse, CancellationToken cancellationToken)
    {
        GenerateRequest request;
        try
        {
            request = options.Read(parse);
        }
        catch (GenerationRequestException e)
        {
            return BadInput(e.Message);
        }

        return request.Cluster is null
            ? await RunInProcessAsync(request, cancellationToken).ConfigureAwait(false)
            : await RunOnClusterAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RunInProcessAsync(GenerateRequest request, CancellationToken cancellationToken)
    {
        var modelPath = request.ModelPath ?? BundledModel.Path;
        ModelFolder folder;
        try
        {
            // The cheap checks first, so a wrong path or manifest answers at once, before a silo starts.
            folder = ModelFolder.Load(modelPath);
        }
        catch (ModelFolderException e)
        {
            return BadInput(e.Message);
        }

        var native = folder.Manifest.Transformer.SampleSize * folder.PixelFactor;
        var job = request.Job with { Width = request.Width ?? native, Height = request.Height ?? native, Model = folder.Name };
        using var host = LocalCluster.Build(folder.Root, request.Devices, request.BatchSize, request.OutputFolder, request.Verbose, request.CudaProviderOptions, request.TransformerGraph);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await WorkerFailureAsync(host).ConfigureAwait(false) is { } failure)
            {
                return BadInput(failure);
            }

            var header = $"sana: job {request.JobId}: {job.Count} image(s) {job.Width}x{job.Height}, seed {job.Seed}, on an in-process cluster ({string.Join(", ", host.Services.GetRequiredService<IGpuInventory>().Workers.Select(w => w.Device))}, model {folder.Name}); images under {Path.GetFullPath(Path.Combine(request.OutputFolder, request.JobId))}";
            return await RunJobAsync(host.Services.GetRequiredService<ISanaClient>(), job, request.JobId, header, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<int> RunOnClusterAsync(GenerateRequest request, CancellationToken cancellationToken)
    {
        var job = request.Job with { Width = request.Width ?? request.Job.Width, Height = request.Height ?? request.Job.Height };
        IHost built;
        try
        {
            built = ClusterClient.Build(request.Cluster!, request.ClusterId, request.Verbose);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            return BadInput(string.Join("; ", e.Failures));
        }

        using var host = built;
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"sana generate: cannot reach the cluster '{request.ClusterId}' at {request.Cluster}: {e.Message}");
            return ExitCodes.Failure;
        }

        try
        {
            var header = $"sana: job {request.JobId}: {job.Count} image(s) {job.Width}x{job.Height}, seed {job.Seed}, on cluster '{request.ClusterId}'";
            return await RunJobAsync(host.Services.GetRequiredService<ISanaClient>(), job, request.JobId, header, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<int> RunJobAsync(ISanaClient client, ImageJobRequest job, string jobId, string header, CancellationToken cancellationToken)
    {
        JobStatus status;
        try
        {
            status = await new JobRunner(client, Console.Out, Console.Error).RunAsync(job, jobId, header, cancellationToken).ConfigureAwait(false);
        }
        catch (JobRequestException e)
        {
            return BadInput(e.Message);
        }
        catch (ClusterBusyException e)
        {
            Console.Error.WriteLine($"sana generate: the cluster stayed {e.Message}");
            return ExitCodes.Failure;
        }

        return status.State == JobState.Completed ? ExitCodes.Success : ExitCodes.Failure;
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

    private static int BadInput(string message)
    {
        Console.Error.WriteLine($"sana generate: {message}");
        return ExitCodes.BadInput;
    }
}
