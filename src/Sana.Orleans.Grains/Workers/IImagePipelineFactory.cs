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
