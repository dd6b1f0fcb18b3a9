using Microsoft.Extensions.Logging.Abstractions;
using Sana.Storage;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Tests.Support;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Dispatch;

public sealed class ChunkExecutorTests : IDisposable
{
    private readonly FileImageStore _store = new(Path.Combine(Path.GetTempPath(), "sana-exec-" + Guid.NewGuid().ToString("N")), NullLogger<FileImageStore>.Instance);

    [Fact]
    public async Task Out_of_memory_halves_the_micro_batch_and_retries_instead_of_failing()
    {
        var pipeline = new DeterministicTestPipeline(oomAboveMicroBatch: 2);
        var executor = new ChunkExecutor("s/gpu0", pipeline, new PngImageFileEncoder(), new StoreRetry(_store, new SanaGrainsOptions(), TimeProvider.System, NullLogger.Instance), 8, NoChunkFaultGate.Off, NullLogger.Instance);
        var result = await RunChunkAsync(executor, Chunk(8), CancellationToken.None);
        Assert.Equal([8, 4, 2], pipeline.MicroBatchesTried);
        Assert.Equal(2, executor.MicroBatch);
        Assert.Equal(2, result.MicroBatch);
        Assert.Equal(Enumerable.Range(0, 8), result.Images.Select(i => i.Index));
        Assert.All(result.Images, i => Assert.Equal(unchecked(ulong.MaxValue - 3 + (ulong)i.Index), i.Seed));
    }

    [Fact]
    public void Warm_up_runs_one_step_at_the_micro_batch_and_halves_it_on_out_of_memory_before_any_job()
    {
        var pipeline = new RecordingPipeline(new DeterministicTestPipeline(oomAboveMicroBatch: 4));
        var executor = new ChunkExecutor("s/gpu0", pipeline, new PngImageFileEncoder(), new StoreRetry(_store, new SanaGrainsOptions(), TimeProvider.System, NullLogger.Instance), 16, NoChunkFaultGate.Off, NullLogger.Instance);

        Assert.Equal(4, executor.WarmUp(CancellationToken.None));
        Assert.Equal(4, executor.MicroBatch);
        Assert.Equal([16, 8, 4], pipeline.Inner.MicroBatchesTried);
        var settings = Assert.Single(pipeline.Settings.Distinct());
        Assert.Equal(1, settings.Steps);
        Assert.Equal(new ImageJobRequest { Prompt = "p" }.GuidanceScale, settings.GuidanceScale); // what jobs use by default: CFG on
        Assert.Equal(1024, settings.Width); // the test double does not know its native size: a request's default
        Assert.All(pipeline.Seeds, n => Assert.Equal(16, n)); // the configured micro-batch of images, run at the halved size
        Assert.Empty(Directory.Exists(_store.Root) ? Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task A_chunks_images_are_generated_first_and_stored_by_a_second_call_that_can_run_after_the_gpu_moved_on()
    {
        var pipeline = new DeterministicTestPipeline();
        var executor = new ChunkExecutor("s/gpu0", pipeline, new PngImageFileEncoder(), new StoreRetry(_store, new SanaGrainsOptions(), TimeProvider.System, NullLogger.Instance), 2, NoChunkFaultGate.Off, NullLogger.Instance);
        var generated = executor.GenerateChunk(Chunk(3), CancellationToken.None);
        Assert.Empty(Directory.Exists(_store.Root) ? Directory.GetFiles(_store.Root, "*", SearchOption.AllDirectories) : []);

        var next = executor.GenerateChunk(Chunk(2) with { JobId = "job2" }, CancellationToken.None); // the GPU's next chunk
        var result = await executor.StoreChunkAsync(generated, CancellationToken.None);
        Assert.Equal([0, 1, 2], result.Images.Select(i => i.Index));
        Assert.All(result.Images, i => Assert.True(File.Exists(_store.PathOf(new ImageKey("job", i.Index, i.Seed)))));
        Assert.Equal(2, (await executor.StoreChunkAsync(next, CancellationToken.None)).Images.Length);
    }

    private sealed class RecordingPipeline(DeterministicTestPipeline inner) : Sana.Inference.Pipeline.IImagePipeline
    {
        public DeterministicTestPipeline Inner => inner;

        public List<Sana.Inference.Pipeline.GenerationSettings> Settings { get; } = [];

        public List<int> Seeds { get; } = [];

        public Sana.Inference.Pipeline.ModelDescription Model => inner.Model;

        public IReadOnlyList<Sana.Inference.Pipeline.GeneratedImage> Generate(
            Sana.Inference.Pipeline.GenerationSettings settings, IReadOnlyList<Sana.Inference.Pipeline.ImageSeed> seeds, int microBatchSize,
            IProgress<Sana.Inference.Pipeline.PipelineProgress>? progress, CancellationToken cancellationToken)
        {
            Settings.Add(settings);
            Seeds.Add(seeds.Count);
            return inner.Generate(settings, seeds, microBatchSize, progress, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task A_bad_setting_fails_with_a_request_error_naming_the_field()
    {
        var executor = new ChunkExecutor("s/gpu0", new DeterministicTestPipeline(), new PngImageFileEncoder(), new StoreRetry(_store, new SanaGrainsOptions(), TimeProvider.System, NullLogger.Instance), 1, NoChunkFaultGate.Off, NullLogger.Instance);
        var chunk = Chunk(1) with { Request = Chunk(1).Request with { Width = 12 } };
        var e = await Assert.ThrowsAsync<JobRequestException>(() => RunChunkAsync(executor, chunk, CancellationToken.None));
        Assert.Equal("width", e.Field);
    }

    [Fact]
    public async Task A_micro_batchs_images_are_encoded_while_the_next_micro_batch_runs()
    {
        // The second micro-batch's Generate waits (bounded) until an image of the first is being encoded. A worker that
        // encoded only after the whole chunk was generated, its GPU idle meanwhile, would make it wait out the bound.
        var encoding = new ManualResetEventSlim();
        var inner = new DeterministicTestPipeline();
        var pipeline = new SecondCallWaits(inner, encoding);
        var encoder = new SignallingEncoder(new PngImageFileEncoder(), encoding);
        var executor = new ChunkExecutor("s/gpu0", pipeline, encoder, new StoreRetry(_store, new SanaGrainsOptions(), TimeProvider.System, NullLogger.Instance), 2, NoChunkFaultGate.Off, NullLogger.Instance);

        var chunk = Chunk(5);
        var result = await RunChunkAsync(executor, chunk, CancellationToken.None);

        Assert.True(pipeline.EncodingSeenBeforeSecondCall, "the first micro-batch was not being encoded while the second ran");
        Assert.Equal(3, pipeline.Calls); // 2 + 2 + 1
        Assert.Equal(Enumerable.Range(0, 5), result.Images.Select(i => i.Index));

        // The same files as encoding each image on its own, in order.
        var settings = chunk.Request.ToSettings();
        var expected = inner.Generate(settings, [.. chunk.Images.Select(i => new Sana.Inference.Pipeline.ImageSeed(i.Index, i.Seed))], 5, null, CancellationToken.None);
        foreach (var image in expected)
        {
            var stored = await File.ReadAllBytesAsync(_store.PathOf(new ImageKey("job", image.Index, image.Seed)));
            Assert.Equal(new PngImageFileEncoder().Encode(image, settings, inner.Model.Name), stored);
        }
    }

    private sealed class SecondCallWaits(DeterministicTestPipeline inner, ManualResetEventSlim encoding) : Sana.Inference.Pipeline.IImagePipeline
    {
        public int Calls { get; private set; }

        public bool EncodingSeenBeforeSecondCall { get; private set; }

        public Sana.Inference.Pipeline.ModelDescription Model => inner.Model;

        public IReadOnlyList<Sana.Inference.Pipeline.GeneratedImage> Generate(
            Sana.Inference.Pipeline.GenerationSettings settings, IReadOnlyList<Sana.Inference.Pipeline.ImageSeed> seeds, int microBatchSize,
            IProgress<Sana.Inference.Pipeline.PipelineProgress>? progress, CancellationToken cancellationToken)
        {
            if (++Calls == 2)
            {
                EncodingSeenBeforeSecondCall = encoding.Wait(TimeSpan.FromSeconds(30), cancellationToken);
            }

            return inner.Generate(settings, seeds, microBatchSize, progress, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }

    private sealed class SignallingEncoder(IImageFileEncoder inner, ManualResetEventSlim encoding) : IImageFileEncoder
    {
        public string Extension => inner.Extension;

        public byte[] Encode(Sana.Inference.Pipeline.GeneratedImage image, Sana.Inference.Pipeline.GenerationSettings settings, string modelName)
        {
            encoding.Set();
            return inner.Encode(image, settings, modelName);
        }
    }

    private static ChunkRequest Chunk(int count)
    {
        var request = new ImageJobRequest { Prompt = "p", Count = count, Width = 16, Height = 8, Steps = 2, Seed = ulong.MaxValue - 3 };
        return new ChunkRequest("job", request, [.. Enumerable.Range(0, count).Select(i => new ChunkImage(i, request.SeedOf(i)))]);
    }

    [Fact]
    public async Task A_store_that_refuses_access_is_not_retried_and_gives_the_chunk_back_at_once()
    {
        var refusing = new RefusingStore();
        var retry = new StoreRetry(refusing, new SanaGrainsOptions(), TimeProvider.System, NullLogger.Instance);
        var e = await Assert.ThrowsAsync<ImageStoreUnavailableException>(
            () => retry.SaveAsync(new ImageKey("job", 0, 1), [1, 2, 3], CancellationToken.None));
        Assert.Equal(1, refusing.Calls);
        Assert.Contains("refuses this silo: container 'images' may not be written", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_failing_one_image_of_many_fails_the_chunk_with_the_stores_error_not_a_cancellation()
    {
        // Images after the first are stored side by side; the one refused must surface as the store's error (the job
        // re-queues those images without counting it against the GPU), whatever the others were doing.
        var store = new RefusingStore { RefuseIndex = 5 };
        var executor = new ChunkExecutor("s/gpu0", new DeterministicTestPipeline(), new PngImageFileEncoder(), new StoreRetry(store, new SanaGrainsOptions(), TimeProvider.System, NullLogger.Instance), 4, NoChunkFaultGate.Off, NullLogger.Instance);
        var e = await Assert.ThrowsAsync<ImageStoreUnavailableException>(() => RunChunkAsync(executor, Chunk(12), CancellationToken.None));
        Assert.Contains("may not be written", e.Message, StringComparison.Ordinal);
        Assert.Equal(12, store.Calls);
    }

    private sealed class RefusingStore : IImageStore
    {
        private int _calls;

        public int? RefuseIndex { get; init; }

        public int Calls => Volatile.Read(ref _calls);

        public Task<string> SaveAsync(ImageKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return RefuseIndex is { } refused && key.Index != refused
                ? Task.FromResult(key.Name)
                : throw new ImageStoreAccessException("container 'images' may not be written with this credential");
        }

        public Task<byte[]?> ReadAsync(string reference, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<ImageKey> ListAsync(string jobId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> SaveManifestAsync(string jobId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>A chunk as the worker runs it: the GPU part, then the stores.</summary>
    private static Task<ChunkResult> RunChunkAsync(ChunkExecutor executor, ChunkRequest chunk, CancellationToken cancellationToken) =>
        executor.StoreChunkAsync(executor.GenerateChunk(chunk, cancellationToken), cancellationToken);

    public void Dispose()
    {
        if (Directory.Exists(_store.Root))
        {
            Directory.Delete(_store.Root, recursive: true);
        }
    }
}
