using Sana.Inference.Pipeline;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// Makes the pipeline a GPU grain owns. The grain calls it once, off the Orleans scheduler (loading blocks), and
/// disposes the pipeline when it deactivates.
/// </summary>
public interface IImagePipelineFactory
{
    IImagePipeline Create(GpuWorkerConfig config);
}
/// <summary>The real thing: <see cref="SanaPipeline.Load"/> on the configured device.</summary>
public sealed class SanaPipelineFactory : IImagePipelineFactory
{
    public IImagePipeline Create(GpuWorkerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return SanaPipeline.Load(config.ModelFolder, new PipelineOptions
        {
            Device = ExecutionDevice.Parse(config.Device),
            IntraOpThreads = config.IntraOpThreads,
            CudaProviderOptions = config.CudaProviderOptions,
            TransformerGraph = config.TransformerGraph,
            KernelLibraryPath = config.KernelLibraryPath,
            CudaGraphs = config.CudaGraphs,
        });
    }
}
