using System.Diagnostics;
using Sana.Inference.Pipeline;
using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>
/// Gives a worker a set speed: the real pipeline runs, then the call is padded to <c>seeds x secondsPerImage</c>
/// (a deliberate delay that models a slower or faster GPU; the wait is cancellable). Real compute must stay below
/// the pace, so speeds differ deterministically whatever else the CPU is doing.
/// </summary>
public sealed class PacedPipeline(IImagePipeline inner, TimeSpan perImage) : IImagePipeline
{
    public ModelDescription Model => inner.Model;

    public IReadOnlyList<GeneratedImage> Generate(
        GenerationSettings settings, IReadOnlyList<ImageSeed> seeds, int microBatchSize, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var images = inner.Generate(settings, seeds, microBatchSize, progress, cancellationToken);
        var rest = (perImage * seeds.Count) - Stopwatch.GetElapsedTime(started);
        if (rest > TimeSpan.Zero)
        {
            cancellationToken.WaitHandle.WaitOne(rest);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return images;
    }

    public void Dispose() => inner.Dispose();

    /// <summary>Paces each worker of a silo by its index (<see cref="GpuWorkerConfig.Index"/>).</summary>
    public sealed class Factory(IImagePipelineFactory inner, IReadOnlyList<TimeSpan> perImageByWorker) : IImagePipelineFactory
    {
        public IImagePipeline Create(GpuWorkerConfig config) => new PacedPipeline(inner.Create(config), perImageByWorker[config.Index]);
    }
}
