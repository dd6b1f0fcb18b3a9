using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Sana.Cli.Cluster;
using Sana.Inference.Model;
using Sana.Inference.Pipeline;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Jobs;
using Sana.Storage;

namespace Sana.Cli.Commands.Bench;

/// <summary>
/// `sana bench overhead`: what the cluster costs on top of the pipeline. The same images (count, seeds, micro-batch,
/// settings) are made twice per round: by calling the pipeline directly (generate, encode PNG, write the file through
/// the file store) and as a job on an in-process cluster with one worker (submit, dispatch, the same work on the
/// worker, progress to the watching client). Rounds alternate the two so that machine noise hits both alike; model
/// loading and silo start are outside the timings. The PNG bytes of both are compared, so the figure is for the same
/// work. The direct side's pipeline calls alone are timed too: the raw pipeline, which makes no files, is what issue 4
/// compares a job through the cluster with (PNG encoding is work a job does that the raw pipeline does not). Writes
/// JSON with every round and prints one summary line.
/// </summary>
internal static class OverheadBenchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model folder (default: the bundled tiny model)." };
        var count = new Option<int>("--count") { Description = "Images per job.", DefaultValueFactory = _ => 32 };
        var microBatch = new Option<int>("--micro-batch") { Description = "Images per pipeline call, on both sides.", DefaultValueFactory = _ => 4 };
        var steps = new Option<int>("--steps") { Description = "Denoising steps.", DefaultValueFactory = _ => 20 };
        var size = new Option<int?>("--size") { Description = "Image width and height (default: the model's native size); PNG encoding grows with it." };
        var rounds = new Option<int>("--rounds") { Description = "Timed rounds (one direct run and one job each), after one untimed warm-up round.", DefaultValueFactory = _ => 3 };
        var output = new Option<string>("--out", "-o") { Description = "JSON results file.", DefaultValueFactory = _ => "overhead.json" };
        var command = new Command("overhead", "Time the same images through the pipeline directly and as a job on an in-process cluster; report the cluster's overhead.")
        {
            model, count, microBatch, steps, rounds, output, size,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var request = new OverheadRequest(
                parse.GetValue(model) ?? BundledModel.Path,
                parse.GetValue(count),
                parse.GetValue(microBatch),
                parse.GetValue(steps),
                parse.GetValue(rounds),
                parse.GetValue(output) ?? "overhead.json",
                parse.GetValue(size));
            return request.Problem() is { } problem ? Task.FromResult(BadInput(problem)) : RunAsync(request, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(OverheadRequest request, CancellationToken cancellationToken)
    {
        ModelFolder folder;
        try
        {
            folder = ModelFolder.Load(request.ModelPath);
        }
        catch (ModelFolderException e)
        {
            return BadInput(e.Message);
        }

        var native = request.Size ?? folder.Manifest.Transformer.SampleSize * folder.PixelFactor;
        if (native % folder.PixelFactor != 0)
        {
            return BadInput(string.Create(CultureInfo.InvariantCulture, $"size: {native} must be a multiple of {folder.PixelFactor} (the model's pixel factor)"));
        }

        var job = new ImageJobRequest
        {
            Prompt = "a lighthouse on a cliff at dusk",
            Count = request.Count,
            Width = native,
            Height = native,
            Steps = request.Steps,
            Seed = 1000,
            Model = folder.Name,
        };
        var settings = job.ToSettings(); // what the worker runs for the job, so both sides make the same images
        var scratch = Directory.CreateTempSubdirectory("sana-overhead-");
        try
        {
            using var pipeline = SanaPipeline.Load(folder.Root, new PipelineOptions { Device = ExecutionDevice.Cpu });
            using var host = LocalCluster.Build(folder.Root, "cpu", request.MicroBatch, Path.Combine(scratch.FullName, "cluster"), verbose: false);
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var client = host.Services.GetRequiredService<ISanaClient>();
                await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key)
                    .WaitForGpus(1, cancellationToken).WaitAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
                var directStore = new FileImageStore(Path.Combine(scratch.FullName, "direct"), NullLogger<FileImageStore>.Instance);
                var clusterStore = new FileImageStore(Path.Combine(scratch.FullName, "cluster"), NullLogger<FileImageStore>.Instance);
                var encoder = new PngImageFileEncoder();
                var report = new OverheadReport(folder.Name, request.Count, request.MicroBatch, request.Steps, native, Environment.ProcessorCount);
                for (var round = 0; round <= request.Rounds; round++)
                {
                    var jobId = string.Create(CultureInfo.InvariantCulture, $"overhead-{round}");
                    var (direct, pipelineOnly) = await DirectAsync(pipeline, encoder, directStore, settings, job, jobId, request.MicroBatch, cancellationToken).ConfigureAwait(false);
                    var cluster = await ClusterAsync(client, job, jobId, cancellationToken).ConfigureAwait(false);
                    var identical = await SameBytesAsync(directStore, clusterStore, jobId, job).ConfigureAwait(false);
                    if (round > 0)
                    {
                        report.Rounds.Add(new OverheadRound(direct, pipelineOnly, cluster, identical));
                    }

                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"sana bench overhead: {(round == 0 ? "warm-up" : $"round {round}")}: direct {direct:F2}s (pipeline alone {pipelineOnly:F2}s), cluster {cluster:F2}s, bytes identical: {identical}"));
                }

                report.Summarise();
                var full = Path.GetFullPath(request.OutputPath);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                await File.WriteAllTextAsync(full, JsonSerializer.Serialize(report, BenchReport.JsonOptions), cancellationToken).ConfigureAwait(false);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{request.Count} images at micro-batch {request.MicroBatch}, {request.Steps} steps, {native}x{native}, {folder.Name}: direct {report.DirectMedianSeconds:F2}s, through the cluster {report.ClusterMedianSeconds:F2}s (medians of {report.Rounds.Count}); overhead {report.OverheadPercent:F1}% = {report.OverheadMsPerImage:F1} ms per image; the pipeline alone {report.PipelineMedianSeconds:F2}s, the cluster {report.ClusterVsPipelinePercent:+0.0;-0.0}% against it; PNG bytes identical in every round: {report.AllIdentical}"));
                return report.AllIdentical ? ExitCodes.Success : ExitCodes.Failure;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The work a GPU worker does for a job, without the cluster: micro-batches, PNG encoding, the file store, one
    /// image after another. The worker overlaps encodes and stores with the next micro-batch (ChunkExecutor), so on a
    /// GPU the cluster can come out ahead of this side; the raw pipeline (its Generate calls alone) is the fair baseline.
    /// </summary>
    private static async Task<(double Total, double PipelineOnly)> DirectAsync(
        SanaPipeline pipeline, PngImageFileEncoder encoder, FileImageStore store, GenerationSettings settings,
        ImageJobRequest job, string jobId, int microBatch, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var inPipeline = TimeSpan.Zero;
        for (var start = 0; start < job.Count; start += microBatch)
        {
            var seeds = Enumerable.Range(start, Math.Min(microBatch, job.Count - start)).Select(i => new ImageSeed(i, job.SeedOf(i))).ToArray();
            var call = Stopwatch.GetTimestamp();
            var images = pipeline.Generate(settings, seeds, microBatch, progress: null, cancellationToken);
            inPipeline += Stopwatch.GetElapsedTime(call);
            foreach (var image in images)
            {
                var key = new ImageKey(jobId, image.Index, image.Seed);
                await store.SaveAsync(key, encoder.Encode(image, settings, pipeline.Model.Name), cancellationToken).ConfigureAwait(false);
            }
        }

        return (clock.Elapsed.TotalSeconds, inPipeline.TotalSeconds);
    }

    /// <summary>Submit to completion, as a client sees it: from the submit call to the last image reported.</summary>
    private static async Task<double> ClusterAsync(ISanaClient client, ImageJobRequest job, string jobId, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await client.SubmitAsync(job, jobId, cancellationToken).ConfigureAwait(false);
        var seen = 0;
        await foreach (var _ in client.WatchAsync(jobId, cancellationToken).ConfigureAwait(false))
        {
            seen++;
        }

        var seconds = clock.Elapsed.TotalSeconds;
        return seen == job.Count ? seconds : throw new InvalidOperationException($"job {jobId} reported {seen} of {job.Count} images");
    }

    private static async Task<bool> SameBytesAsync(FileImageStore direct, FileImageStore cluster, string jobId, ImageJobRequest job)
    {
        for (var i = 0; i < job.Count; i++)
        {
            var key = new ImageKey(jobId, i, job.SeedOf(i));
            var a = await File.ReadAllBytesAsync(direct.PathOf(key)).ConfigureAwait(false);
            var b = await File.ReadAllBytesAsync(cluster.PathOf(key)).ConfigureAwait(false);
            if (!a.AsSpan().SequenceEqual(b))
            {
                return false;
            }
        }

        return true;
    }

    private static int BadInput(string message)
    {
        Console.Error.WriteLine($"sana bench overhead: {message}");
        return ExitCodes.BadInput;
    }
}

/// <summary>A parsed `sana bench overhead` command line.</summary>
internal sealed record OverheadRequest(string ModelPath, int Count, int MicroBatch, int Steps, int Rounds, string OutputPath, int? Size = null)
{
    public string? Problem() =>
        Count is < 1 or > 10_000 ? $"count: {Count} is outside 1..10000"
        : Size is < 1 or > GenerationLimits.MaxSide ? $"size: {Size} is outside 1..{GenerationLimits.MaxSide}"
        : MicroBatch is < 1 or > BenchCommand.MaxBatchSize ? $"micro-batch: {MicroBatch} is outside 1..{BenchCommand.MaxBatchSize}"
        : Steps is < 1 or > 1000 ? $"steps: {Steps} is outside 1..1000"
        : Rounds is < 1 or > 100 ? $"rounds: {Rounds} is outside 1..100"
        : null;
}

internal sealed record OverheadRound(double DirectSeconds, double PipelineSeconds, double ClusterSeconds, bool BytesIdentical);

internal sealed record OverheadReport(string Model, int Images, int MicroBatch, int Steps, int Size, int Cores)
{
    public string Tool { get; } = "sana bench overhead";

    public string Method { get; } = "per round: the pipeline called directly (micro-batches, PNG encode, file store) then the same images as a job on an in-process cluster with one CPU worker (submit to last image reported); the direct side's pipeline calls alone are the raw pipeline; one untimed warm-up round; medians over the timed rounds";

    public List<OverheadRound> Rounds { get; } = [];

    public double DirectMedianSeconds { get; private set; }

    public double ClusterMedianSeconds { get; private set; }

    public double OverheadPercent { get; private set; }

    public double OverheadMsPerImage { get; private set; }

    /// <summary>The pipeline calls of the direct side alone (no PNG, no store): the raw pipeline.</summary>
    public double PipelineMedianSeconds { get; private set; }

    public double ClusterVsPipelinePercent { get; private set; }

    public bool AllIdentical { get; private set; }

    public void Summarise()
    {
        DirectMedianSeconds = Median(Rounds.Select(r => r.DirectSeconds));
        ClusterMedianSeconds = Median(Rounds.Select(r => r.ClusterSeconds));
        OverheadPercent = 100 * (ClusterMedianSeconds - DirectMedianSeconds) / DirectMedianSeconds;
        OverheadMsPerImage = 1000 * (ClusterMedianSeconds - DirectMedianSeconds) / Images;
        PipelineMedianSeconds = Median(Rounds.Select(r => r.PipelineSeconds));
        ClusterVsPipelinePercent = 100 * (ClusterMedianSeconds - PipelineMedianSeconds) / PipelineMedianSeconds;
        AllIdentical = Rounds.All(r => r.BytesIdentical);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
