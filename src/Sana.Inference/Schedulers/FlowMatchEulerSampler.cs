namespace Sana.Inference.Schedulers;

/// <summary>
/// diffusers' FlowMatchEulerDiscreteScheduler(shift=k) as SanaPipeline drives it: x += (sigma[i+1] - sigma[i]) v,
/// one transformer call per step, timesteps sigma * T as float32. No history, so a step only needs its index.
/// </summary>
public sealed class FlowMatchEulerSampler : IFlowSampler
{
    private readonly float[] _timesteps;
    private readonly float[] _sigmas;
    private readonly StepSequence _steps;

    public FlowMatchEulerSampler(int steps, double shift, int trainTimesteps = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainTimesteps);
        if (!double.IsFinite(shift) || shift <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shift), shift, "the flow shift must be a positive finite number");
        }

        (_timesteps, _sigmas) = FlowSchedules.FlowMatchEuler(steps, shift, trainTimesteps);
        _steps = new StepSequence(steps);
    }

    public IReadOnlyList<float> Timesteps => _timesteps;

    public IReadOnlyList<float> Sigmas => _sigmas;

    public int StepsTaken => _steps.Taken;

    public void Step(int stepIndex, ReadOnlySpan<float> modelOutput, Span<float> sample)
    {
        var n = _steps.Begin(stepIndex, modelOutput.Length, sample.Length);

        // dt in float32 as torch subtracts the two 0-dim sigma tensors; then one rounding for the product and one
        // for the sum, as the separate torch kernels do.
        var dt = _sigmas[stepIndex + 1] - _sigmas[stepIndex];
        for (var i = 0; i < n; i++)
        {
            var delta = dt * modelOutput[i];
            sample[i] += delta;
        }

        _steps.End();
    }
}
