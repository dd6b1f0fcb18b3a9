namespace Sana.Inference.Schedulers;

/// <summary>
/// diffusers' DPMSolverMultistepScheduler in Sana's configuration: dpmsolver++ with the midpoint second-order
/// update, flow_prediction (x0 = x - sigma v), use_flow_sigmas, final sigma 0. Step 0 and the last step are first
/// order (the last returns x0 exactly); the others combine this step's x0 with the previous one, which this object
/// keeps. Scalars (alpha, lambda, h, the coefficients) are float32 as torch computes them from the float32 sigma
/// tensor; each elementwise operation rounds once, as torch's separate kernels do.
/// </summary>
public sealed class DpmSolverMultistepSampler : IFlowSampler
{
    private readonly float[] _timesteps;
    private readonly float[] _sigmas;
    private readonly int _order;
    private readonly StepSequence _steps;
    private float[] _x0 = [];
    private float[] _previousX0 = [];

    public DpmSolverMultistepSampler(int steps, double flowShift, int solverOrder = 2, int trainTimesteps = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainTimesteps);
        if (solverOrder is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(solverOrder), solverOrder, "DPM-Solver order 1 or 2 is supported");
        }

        if (!double.IsFinite(flowShift) || flowShift <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(flowShift), flowShift, "the flow shift must be a positive finite number");
        }

        (_timesteps, _sigmas) = FlowSchedules.DpmSolverFlow(steps, flowShift, trainTimesteps);
        _order = solverOrder;
        _steps = new StepSequence(steps);
    }

    /// <summary>int64 trunc(sigma * T) from the float64 sigmas, as float: what the transformer receives.</summary>
    public IReadOnlyList<float> Timesteps => _timesteps;

    public IReadOnlyList<float> Sigmas => _sigmas;

    public int StepsTaken => _steps.Taken;

    public void Step(int stepIndex, ReadOnlySpan<float> modelOutput, Span<float> sample)
    {
        var n = _steps.Begin(stepIndex, modelOutput.Length, sample.Length);
        if (_x0.Length != n)
        {
            _x0 = new float[n];
            _previousX0 = new float[n];
        }

        var sigmaS0 = _sigmas[stepIndex];
        var x0 = _x0.AsSpan();
        for (var i = 0; i < n; i++)
        {
            var scaled = sigmaS0 * modelOutput[i];
            x0[i] = sample[i] - scaled;
        }

        // diffusers: first order when the solver is first order, before any history (lower_order_nums < 1), and at
        // the last step because final_sigmas_type is 'zero'. Otherwise, for order 2, always the second-order update.
        var isLast = stepIndex == _timesteps.Length - 1;
        if (_order == 1 || stepIndex == 0 || isLast)
        {
            FirstOrder(stepIndex, x0, sample);
        }
        else
        {
            SecondOrder(stepIndex, x0, _previousX0, sample);
        }

        (_x0, _previousX0) = (_previousX0, _x0);
        _steps.End();
    }

    private void FirstOrder(int stepIndex, ReadOnlySpan<float> x0, Span<float> sample)
    {
        var sigmaS = _sigmas[stepIndex];
        var sigmaT = _sigmas[stepIndex + 1];
        var h = Lambda(sigmaT) - Lambda(sigmaS);
        var ratio = sigmaT / sigmaS;
        var coefficient = (1f - sigmaT) * (Exp(-h) - 1f);
        for (var i = 0; i < sample.Length; i++)
        {
            var kept = ratio * sample[i];
            var added = coefficient * x0[i];
            sample[i] = kept - added;
        }
    }

    private void SecondOrder(int stepIndex, ReadOnlySpan<float> x0, ReadOnlySpan<float> previousX0, Span<float> sample)
    {
        var sigmaT = _sigmas[stepIndex + 1];
        var sigmaS0 = _sigmas[stepIndex];
        var sigmaS1 = _sigmas[stepIndex - 1];
        var lambdaS0 = Lambda(sigmaS0);
        var h = Lambda(sigmaT) - lambdaS0;
        var h0 = lambdaS0 - Lambda(sigmaS1);
        var r0 = h0 / h;
        var inverseR0 = 1f / r0;
        var ratio = sigmaT / sigmaS0;
        var coefficient = (1f - sigmaT) * (Exp(-h) - 1f);
        var halfCoefficient = 0.5f * coefficient;
        for (var i = 0; i < sample.Length; i++)
        {
            // x_t = (s_t/s_0) x - c D0 - 0.5 c D1, D0 = x0_i, D1 = (1/r0)(x0_i - x0_{i-1}), left to right.
            var d1 = inverseR0 * (x0[i] - previousX0[i]);
            var kept = ratio * sample[i];
            var first = coefficient * x0[i];
            var second = halfCoefficient * d1;
            sample[i] = kept - first - second;
        }
    }

    /// <summary>log(alpha) - log(sigma) with alpha = 1 - sigma, each a float32 result (+inf at sigma 0).</summary>
    private static float Lambda(float sigma) => Log(1f - sigma) - Log(sigma);

    // torch's float32 log/exp (MKL VML in high-accuracy mode or Sleef u10) are within an ulp; the correctly rounded
    // value, which they almost always return, is the double result rounded to float.
    private static float Log(float x) => (float)Math.Log(x);

    private static float Exp(float x) => (float)Math.Exp(x);
}
