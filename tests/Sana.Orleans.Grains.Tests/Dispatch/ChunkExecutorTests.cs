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
        var result = await executor.RunAsync(Chunk(8), CancellationToken.None);
        Assert.Equal([8, 4, 2], pipeline.MicroBatchesTried);
        Assert.Equal(2, executor.MicroBatch);
        Assert.Equal(2, result.MicroBatch);
        Assert.Equal(Enumerable.Range(0, 8), result.Images.Select(i => i.Index));
        Assert.All(result.Images, i => Assert.Equal(unchecked(ulong.MaxValue - 3 + (ulong)i.Index), i.Seed));
    }

    [Fact]
    public async Task A_bad_setting_fails_with_a_request_error_naming_the_field()
    {
        var executor = new ChunkExecutor("s/gpu0", new DeterministicTestPipeline(), new PngImageFileEncoder(), new StoreRetry(_store, new SanaGrainsOptions(), TimeProvider.System, NullLogger.Instance), 1, NoChunkFaultGate.Off, NullLogger.Instance);
        var chunk = Chunk(1) with { Request = Chunk(1).Request with { Width = 12 } };
        var e = await Assert.ThrowsAsync<JobRequestException>(() => executor.RunAsync(chunk, CancellationToken.None));
        Assert.Equal("width", e.Field);
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

    private sealed class RefusingStore : IImageStore
    {
        public int Calls { get; private set; }

        public Task<string> SaveAsync(ImageKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            Calls++;
            throw new ImageStoreAccessException("container 'images' may not be written with this credential");
        }

        public Task<byte[]?> ReadAsync(string reference, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<ImageKey> ListAsync(string jobId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    public void Dispose()
    {
        if (Directory.Exists(_store.Root))
        {
            Directory.Delete(_store.Root, recursive: true);
        }
    }
}
