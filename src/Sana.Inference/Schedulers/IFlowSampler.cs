namespace Sana.Inference.Schedulers;

/// <summary>
/// One generation's sampler: the timestep schedule the transformer is called with and the update that moves the
/// latents from one noise level to the next. Created per generation because multistep solvers remember earlier
/// steps. The update is elementwise, so one instance can drive a whole batch laid out as [B*C*h*w] as long as the
/// batch keeps the same images in the same places for every step; image i's result does not depend on its
/// neighbours.
/// </summary>
public interface IFlowSampler
{
    /// <summary>
    /// The value handed to the transformer at each step (before the model's timestep_scale), exactly as diffusers
    /// hands it: one per step, so <c>Timesteps.Count</c> is the step count.
    /// </summary>
    IReadOnlyList<float> Timesteps { get; }

    /// <summary>Noise levels, one more than <see cref="Timesteps"/>: step i goes from Sigmas[i] to Sigmas[i + 1]; the last is 0.</summary>
    IReadOnlyList<float> Sigmas { get; }

    /// <summary>How many steps have been applied; the next <see cref="Step"/> call must pass this index.</summary>
    int StepsTaken { get; }

    /// <summary>
    /// Applies step <paramref name="stepIndex"/>: <paramref name="sample"/> holds the latents at Sigmas[stepIndex] and
    /// is overwritten with the latents at Sigmas[stepIndex + 1]; <paramref name="modelOutput"/> is the (guided)
    /// velocity the transformer predicted for it. Steps must come in order, over buffers of one constant length.
    /// </summary>
    /// <exception cref="InvalidOperationException">a step out of order, past the end, or a buffer length that changed.</exception>
    void Step(int stepIndex, ReadOnlySpan<float> modelOutput, Span<float> sample);
}
