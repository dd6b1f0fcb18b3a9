namespace Sana.Inference.Pipeline;

/// <summary>Which flow-matching sampler drives the denoising loop.</summary>
public enum SamplerKind
{
    /// <summary>DPM-Solver++ 2M in flow mode: the hub default (DPMSolverMultistepScheduler).</summary>
    DpmSolver,

    /// <summary>Flow-match Euler (FlowMatchEulerDiscreteScheduler).</summary>
    Euler,
}
