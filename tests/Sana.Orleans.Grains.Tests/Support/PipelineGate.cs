using System.Collections.Concurrent;
using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>
/// Lets a test hold the workers of one silo at the start of their next Generate call, so "kill this silo while it
/// has a chunk in flight" happens at a known point instead of by timing. The pipeline behind it is the real one.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Gates live as long as the test process.")]
public sealed class PipelineGate
{
    private static readonly ConcurrentDictionary<string, PipelineGate> Gates = new();
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _finished;

    public static PipelineGate For(string clusterId, string siloName) => Gates.GetOrAdd($"{clusterId}|{siloName}", _ => new PipelineGate());

    /// <summary>Completes when a worker is waiting at the closed gate.</summary>
    public Task Entered => _entered.Task;

    /// <summary>Generate calls behind this gate that ran to the end (not cancelled, not failed).</summary>
    public int Finished => Volatile.Read(ref _finished);

    public void Close() => _open.Reset();

    public void Open() => _open.Set();

    internal void Pass(CancellationToken cancellationToken)
    {
        if (!_open.IsSet)
        {
            _entered.TrySetResult();
            _open.Wait(cancellationToken);
        }
    }

    /// <summary>Wraps a factory's pipelines so their Generate calls pass this gate first.</summary>
    public sealed class Factory(IImagePipelineFactory inner, PipelineGate gate) : IImagePipelineFactory
    {
        public IImagePipeline Create(GpuWorkerConfig config) => new Gated(inner.Create(config), gate);
    }

    private sealed class Gated(IImagePipeline inner, PipelineGate gate) : IImagePipeline
    {
        public ModelDescription Model => inner.Model;

        public IReadOnlyList<GeneratedImage> Generate(
            GenerationSettings settings, IReadOnlyList<ImageSeed> seeds, int microBatchSize, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken)
        {
            gate.Pass(cancellationToken);
            var images = inner.Generate(settings, seeds, microBatchSize, progress, cancellationToken);
            Interlocked.Increment(ref gate._finished);
            return images;
        }

        public void Dispose() => inner.Dispose();
    }
}
