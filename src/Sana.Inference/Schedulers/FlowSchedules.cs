namespace Sana.Inference.Schedulers;

/// <summary>
/// The sigma and timestep schedules of diffusers' two flow samplers, computed in the same precision at every stage as
/// diffusers computes them (numpy float64, then torch float32), so that the schedule matches to the bit. The
/// arithmetic is written out one rounding at a time on purpose: .NET never fuses a * b + c on its own, and neither
/// do numpy's and torch's elementwise CPU loops used here.
/// </summary>
internal static class FlowSchedules
{
    /// <summary>
    /// DPMSolverMultistepScheduler.set_timesteps with use_flow_sigmas: sigmas from a float64 linspace shifted in
    /// float64 and stored as float32 with a final 0; timesteps int64(sigma64 * T), truncated, from the float64 sigmas.
    /// </summary>
    public static (float[] Timesteps, float[] Sigmas) DpmSolverFlow(int steps, double shift, int trainTimesteps)
    {
        var alphas = Linspace(1.0, 1.0 / trainTimesteps, steps + 1);
        var timesteps = new float[steps];
        var sigmas = new float[steps + 1];
        for (var i = 0; i < steps; i++)
        {
            // flip(...)[:-1]: output i is input steps - i; input 0 (sigma 0) is the one dropped.
            var s = 1.0 - alphas[steps - i];
            var shifted = Shift(shift, s);
            timesteps[i] = (float)(long)(shifted * trainTimesteps);
            sigmas[i] = (float)shifted;
        }

        sigmas[steps] = 0f;
        return (timesteps, sigmas);
    }

    /// <summary>
    /// FlowMatchEulerDiscreteScheduler(shift=k).set_timesteps(steps): the constructor shifts the float32 training
    /// sigmas T/T .. 1/T once (in float32) to find sigma_max and sigma_min; set_timesteps spaces float64 timesteps
    /// between them and shifts again in float64 (the shift is applied twice: that is diffusers' behaviour), stores
    /// float32 sigmas, timesteps = sigma32 * T in float32, and appends a final 0.
    /// </summary>
    public static (float[] Timesteps, float[] Sigmas) FlowMatchEuler(int steps, double shift, int trainTimesteps)
    {
        var sigmaMax = (double)ShiftSingle(shift, 1f);
        var sigmaMin = (double)ShiftSingle(shift, 1f / trainTimesteps);
        var t = Linspace(sigmaMax * trainTimesteps, sigmaMin * trainTimesteps, steps);
        var timesteps = new float[steps];
        var sigmas = new float[steps + 1];
        for (var i = 0; i < steps; i++)
        {
            var sigma = (float)Shift(shift, t[i] / trainTimesteps);
            sigmas[i] = sigma;
            timesteps[i] = sigma * trainTimesteps;
        }

        sigmas[steps] = 0f;
        return (timesteps, sigmas);
    }

    /// <summary>numpy.linspace(start, stop, num) in float64 (endpoint=True): start + i * step, then stop exactly last.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        var div = num - 1;
        var delta = stop - start;
        if (div > 0)
        {
            var step = delta / div;
            for (var i = 0; i < num; i++)
            {
                // numpy divides first when the step underflows to zero (gh-5437).
                var scaled = step == 0 ? i / (double)div * delta : i * step;
                y[i] = scaled + start;
            }

            y[num - 1] = stop;
        }
        else if (num == 1)
        {
            y[0] = (0 * delta) + start;
        }

        return y;
    }

    /// <summary>k s / (1 + (k - 1) s) in float64, evaluated left to right as the Python expression is.</summary>
    private static double Shift(double k, double s) => k * s / (1 + ((k - 1) * s));

    /// <summary>
    /// The same expression on a float32 torch tensor with Python float k: each operation rounds to float32, and the
    /// Python scalars k and k - 1 (computed in double) are cast to float32 by the kernels.
    /// </summary>
    private static float ShiftSingle(double k, float s)
    {
        var numerator = (float)k * s;
        var denominator = 1f + ((float)(k - 1) * s);
        return numerator / denominator;
    }
}
