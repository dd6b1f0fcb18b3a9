using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Sana.Inference.Onnx;
using Sana.Inference.Pipeline;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;
using Sana.Storage;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// Runs one chunk on a loaded pipeline: generate (halving the micro-batch on out-of-memory), encode, store under the
/// deterministic key (retrying a failing store with backoff, see <see cref="StoreRetry"/>), return references.
/// Blocking: call it off the Orleans scheduler. No Orleans types beyond contracts.
/// </summary>
internal sealed partial class ChunkExecutor(
    string gpuId,
    IImagePipeline pipeline,
    IImageFileEncoder encoder,
    StoreRetry store,
    int microBatch,
    IChunkFaultGate gate,
    ILogger logger)
{
    /// <summary>Uploads of one chunk in flight at once.</summary>
    private const int MaxConcurrentStores = 8;

    /// <summary>The micro-batch in force: the configured one, halved by each out-of-memory so far.</summary>
    public int MicroBatch { get; private set; } = Math.Max(1, microBatch);

    public IImagePipeline Pipeline => pipeline;

    /// <summary>
    /// The GPU's part of a chunk: every micro-batch generated, each image's PNG encode started on the thread pool as
    /// soon as its micro-batch is out. The worker holds its GPU turn for this part only; the encodes and stores
    /// (<see cref="StoreChunkAsync"/>) go on while the GPU runs the next chunk.
    /// </summary>
    public GeneratedChunk GenerateChunk(ChunkRequest chunk, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var settings = chunk.Request.ToSettings();
        var seeds = chunk.Images.Select(i => new ImageSeed(i.Index, i.Seed)).ToArray();
        gate.Reach(ChunkPoint.BeforeGenerate, chunk.JobId, gpuId, cancellationToken);
        var (images, files) = GenerateAndEncode(chunk.JobId, settings, seeds, cancellationToken);
        return new GeneratedChunk(chunk.JobId, images, files, started);
    }

    /// <summary>Waits for the chunk's encodes and stores its images; returns their references.</summary>
    public async Task<ChunkResult> StoreChunkAsync(GeneratedChunk generated, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(generated);
        var (jobId, images, files) = (generated.JobId, generated.Images, generated.Files);
        var results = new JobImage[images.Count];
        if (images.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results[0] = await StoreAsync(jobId, images[0], files[0], cancellationToken).ConfigureAwait(false);
            if (images.Count > 1)
            {
                gate.Reach(ChunkPoint.WhileStoring, jobId, gpuId, cancellationToken); // one image stored, the rest not
            }

            // The rest side by side: a blob upload waits tens of milliseconds on the network each. Bounded, so a chunk
            // of 64 does not open 64 uploads at once. Each store runs to its own end (no store cancels another), and a
            // failure surfaces as the failing store's own exception (an unavailable store must not read as a GPU fault).
            using var slots = new SemaphoreSlim(MaxConcurrentStores);
            var stores = Enumerable.Range(1, images.Count - 1).Select(async i =>
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    results[i] = await StoreAsync(jobId, images[i], files[i], cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
            }).ToArray();
            try
            {
                await Task.WhenAll(stores).ConfigureAwait(false);
            }
            catch
            {
                var failed = stores.FirstOrDefault(t => t.IsFaulted && t.Exception!.InnerException is not OperationCanceledException)
                    ?? stores.First(t => !t.IsCompletedSuccessfully);
                await failed.ConfigureAwait(false); // rethrows that store's exception as it was thrown
                throw;
            }
        }

        return new ChunkResult(gpuId, results, MicroBatch, Stopwatch.GetElapsedTime(generated.Started));
    }

    /// <summary>
    /// One generation at the worker's micro-batch, at the model's native size (a request's default size when not
    /// known) with a request's default guidance, one denoising step, nothing encoded or stored: the first call of a
    /// fresh ONNX Runtime session at a shape pays cuDNN's algorithm search and the memory arena's growth (docs/operations.md,
    /// "Warm-up", has the figures), which a job's first chunk would otherwise pay. An
    /// out-of-memory error halves the micro-batch here, before any job sees it. Returns the micro-batch it ran at.
    /// </summary>
    public int WarmUp(CancellationToken cancellationToken)
    {
        var model = pipeline.Model;
        var defaults = new ImageJobRequest { Prompt = "warm-up" };
        var side = model.NativeSize > 0 ? model.NativeSize : defaults.Width;
        side = Math.Max(model.PixelFactor, side / model.PixelFactor * model.PixelFactor);
        var settings = (defaults with { Steps = 1, Width = side, Height = side }).ToSettings();
        var seeds = Enumerable.Range(0, MicroBatch).Select(i => new ImageSeed(i, (ulong)i)).ToArray();
        Generate(WarmUpJobId, settings, seeds, null, cancellationToken);
        return MicroBatch;
    }

    /// <summary>The job id warm-up runs under (logs, out-of-memory messages).</summary>
    public const string WarmUpJobId = "__warm-up";

    /// <summary>Stores one image under its deterministic key (a retried chunk overwrites with the same bytes).</summary>
    private async Task<JobImage> StoreAsync(string jobId, GeneratedImage image, Task<byte[]> encoded, CancellationToken cancellationToken)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["ImageIndex"] = image.Index, ["Seed"] = image.Seed });
        var file = await encoded.ConfigureAwait(false);
        var key = new ImageKey(jobId, image.Index, image.Seed, encoder.Extension);
        var reference = await store.SaveAsync(key, file, cancellationToken).ConfigureAwait(false);
        LogStored(logger, gpuId, jobId, image.Index, image.Seed, reference);
        return new JobImage(image.Index, image.Seed, gpuId, reference) { Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file)) };
    }

    /// <summary>
    /// Runs the chunk one micro-batch at a time and encodes each image on the thread pool as soon as its micro-batch
    /// is out, so that encoding overlaps the next micro-batch on the GPU: a large PNG takes a good part of a second of one
    /// core, and encoded one after another after the pipeline returned, the GPU waited for every encode (docs/operations.md
    /// has the measured cost). The last micro-batch's
    /// encodes finish in <see cref="StoreChunkAsync"/>, after the worker has let go of the GPU, so with a second chunk
    /// queued (Sana:Grains:ChunksInFlightPerGpu) the GPU does not wait for them. PNG bytes do not depend on the order.
    /// Encodes still running when a later micro-batch fails are left to finish on their own; nothing is stored then.
    /// </summary>
    private (List<GeneratedImage> Images, List<Task<byte[]>> Files) GenerateAndEncode(
        string jobId, GenerationSettings settings, ImageSeed[] seeds, CancellationToken cancellationToken)
    {
        var model = pipeline.Model.Name;
        var midway = gate is NoChunkFaultGate ? null : new MidwayProgress(() => gate.Reach(ChunkPoint.MidGenerate, jobId, gpuId, cancellationToken));
        var images = new List<GeneratedImage>(seeds.Length);
        var files = new List<Task<byte[]>>(seeds.Length);
        for (var start = 0; start < seeds.Length;)
        {
            var slice = seeds.AsSpan(start, Math.Min(MicroBatch, seeds.Length - start)).ToArray();
            var made = Generate(jobId, settings, slice, midway, cancellationToken);
            foreach (var image in made)
            {
                images.Add(image);
                files.Add(Task.Run(() => encoder.Encode(image, settings, model), CancellationToken.None));
            }

            start += slice.Length;
        }

        return (images, files);
    }

    private IReadOnlyList<GeneratedImage> Generate(
        string jobId, GenerationSettings settings, ImageSeed[] seeds, IProgress<PipelineProgress>? midway, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return pipeline.Generate(settings, seeds, MicroBatch, midway, cancellationToken);
            }
            catch (Exception e) when (IsOutOfMemory(e) && MicroBatch > 1)
            {
                var halved = MicroBatch / 2;
                LogOutOfMemory(logger, gpuId, jobId, MicroBatch, halved, e.Message);
                MicroBatch = halved;
            }
            catch (GenerationRequestException e)
            {
                throw new JobRequestException(e.Message) { Field = e.Field };
            }
        }
    }

    internal static bool IsOutOfMemory(Exception e) =>
        e is OutOfDeviceMemoryException or OutOfMemoryException or InsufficientMemoryException
        || (e.InnerException is { } inner && IsOutOfMemory(inner));

    /// <summary>Calls back once, after the first denoising step of a chunk that has more steps to go.</summary>
    private sealed class MidwayProgress(Action reached) : IProgress<PipelineProgress>
    {
        private bool _done;

        public void Report(PipelineProgress value)
        {
            if (!_done && value.StepsDone >= 1 && value.StepsDone < value.StepsTotal)
            {
                _done = true;
                reached();
            }
        }
    }
}

/// <summary>A chunk whose images are generated and whose PNG encodes may still be running.</summary>
internal sealed record GeneratedChunk(string JobId, IReadOnlyList<GeneratedImage> Images, IReadOnlyList<Task<byte[]>> Files, long Started);
