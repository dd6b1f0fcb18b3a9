using Sana.Inference.Pipeline;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// The one place a job request becomes pipeline settings (the job validates and the GPU runs the same; tools that
/// remake a job's images outside the cluster, such as `sana bench overhead` and the fault tests' references, too).
/// </summary>
public static class SettingsMapper
{
    public static GenerationSettings ToSettings(this ImageJobRequest request) => new()
    {
        Prompt = request.Prompt,
        NegativePrompt = request.NegativePrompt,
        Width = request.Width,
        Height = request.Height,
        Steps = request.Steps,
        GuidanceScale = request.GuidanceScale,
        PagScale = request.PagScale,
        PagLayers = request.PagLayers ?? [],
        Sampler = request.Sampler switch
        {
            JobSampler.DpmSolver => SamplerKind.DpmSolver,
            JobSampler.Euler => SamplerKind.Euler,
            _ => (SamplerKind)(-1),
        },
        FlowShift = request.FlowShift,
    };
}
