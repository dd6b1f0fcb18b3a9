using System.Collections.Concurrent;
using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;
using Sana.Storage;

namespace Sana.Orleans.Grains.Tests.Reliability;

/// <summary>
/// Faults a test turns on and off in one in-process cluster (by cluster id): an image store that is down, GPU sessions
/// that throw, models that fail to load. The silos' store and pipeline factory consult these switches, so a fault
/// starts and ends exactly when the test says, and counts what it did.
/// </summary>
public sealed class FaultSwitches
{
    private static readonly ConcurrentDictionary<string, FaultSwitches> ByCluster = new();
    private readonly ConcurrentDictionary<string, bool> _failingGpus = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _failingLoads = new(StringComparer.Ordinal);
    private long _storeFailures;
    private long _sessionFailures;
    private long _loadFailures;
    private long _saves;
    private volatile bool _storeDown;
    private readonly TaskCompletionSource _storeFailed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static FaultSwitches For(string clusterId) => ByCluster.GetOrAdd(clusterId, _ => new FaultSwitches());

    public bool StoreDown
    {
        get => _storeDown;
        set => _storeDown = value;
    }

    /// <summary>Completes when a save has failed because the store is down.</summary>
    public Task StoreFailed => _storeFailed.Task;

    public long StoreFailures => Interlocked.Read(ref _storeFailures);

    public long SessionFailures => Interlocked.Read(ref _sessionFailures);

    public long LoadFailures => Interlocked.Read(ref _loadFailures);

    public long Saves => Interlocked.Read(ref _saves);

    public void FailSession(string gpuId, bool fail) => _failingGpus[gpuId] = fail;

    public void FailLoad(string gpuId, bool fail) => _failingLoads[gpuId] = fail;

    /// <summary>Wraps the real pipeline factory: loads and Generate calls fail while their GPU's switch is on.</summary>
    public sealed class PipelineFactory(IImagePipelineFactory inner, FaultSwitches switches, string siloName) : IImagePipelineFactory
    {
        public IImagePipeline Create(GpuWorkerConfig config)
        {
            var gpuId = $"{siloName}/gpu{config.Index}";
            if (switches._failingLoads.GetValueOrDefault(gpuId))
            {
                Interlocked.Increment(ref switches._loadFailures);
                throw new InvalidOperationException($"injected: the model of {gpuId} does not load");
            }

            return new Faulty(inner.Create(config), switches, gpuId);
        }
    }

    /// <summary>Wraps the real image store: saves fail while <see cref="StoreDown"/> is on.</summary>
    public sealed class Store(IImageStore inner, FaultSwitches switches) : IImageStore
    {
        public Task<string> SaveAsync(ImageKey key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            if (switches._storeDown)
            {
                Interlocked.Increment(ref switches._storeFailures);
                switches._storeFailed.TrySetResult();
                throw new IOException("injected: the image store is unavailable");
            }

            Interlocked.Increment(ref switches._saves);
            return inner.SaveAsync(key, content, cancellationToken);
        }

        public Task<byte[]?> ReadAsync(string reference, CancellationToken cancellationToken) => inner.ReadAsync(reference, cancellationToken);

        public IAsyncEnumerable<ImageKey> ListAsync(string jobId, CancellationToken cancellationToken) => inner.ListAsync(jobId, cancellationToken);

        public Task<string> SaveManifestAsync(string jobId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
            inner.SaveManifestAsync(jobId, content, cancellationToken);
    }

    private sealed class Faulty(IImagePipeline inner, FaultSwitches switches, string gpuId) : IImagePipeline
    {
        public ModelDescription Model => inner.Model;

        public IReadOnlyList<GeneratedImage> Generate(
            GenerationSettings settings, IReadOnlyList<ImageSeed> seeds, int microBatchSize, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken)
        {
            if (switches._failingGpus.GetValueOrDefault(gpuId))
            {
                Interlocked.Increment(ref switches._sessionFailures);
                throw new InvalidOperationException($"injected: the session of {gpuId} failed (as an ONNX Runtime error would)");
            }

            return inner.Generate(settings, seeds, microBatchSize, progress, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }
}
