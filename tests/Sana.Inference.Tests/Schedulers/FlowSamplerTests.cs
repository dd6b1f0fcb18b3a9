using Sana.Inference.Schedulers;

namespace Sana.Inference.Tests.Schedulers;

public sealed class FlowSamplerTests
{
    public static TheoryData<string, int, double> Schedules()
    {
        var data = new TheoryData<string, int, double>();
        foreach (var kind in new[] { "dpm", "euler" })
        {
            foreach (var steps in new[] { 1, 2, 5, 14, 15, 20, 50 })
            {
                foreach (var shift in new[] { 1.0, 3.0, 4.5 })
                {
                    data.Add(kind, steps, shift);
                }
            }
        }

        return data;
    }

    private static IFlowSampler Make(string kind, int steps, double shift) =>
        kind == "dpm" ? new DpmSolverMultistepSampler(steps, shift) : new FlowMatchEulerSampler(steps, shift);

    [Fact]
    public void Dpm_20_steps_shift_3_calls_the_transformer_with_the_hub_timesteps()
    {
        // Computed from diffusers' formula in float64 (numpy linspace, shift, flip, int64 truncation); the reference
        // doc lists the ends: 999, 982, ..., 249, 136.
        float[] expected = [999, 982, 963, 944, 922, 899, 874, 847, 817, 785, 749, 710, 666, 617, 562, 499, 428, 345, 249, 136];
        Assert.Equal(expected, new DpmSolverMultistepSampler(20, 3.0).Timesteps);
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void Sigmas_fall_from_below_or_at_one_to_exactly_zero(string kind, int steps, double shift)
    {
        var sampler = Make(kind, steps, shift);
        Assert.Equal(steps, sampler.Timesteps.Count);
        Assert.Equal(steps + 1, sampler.Sigmas.Count);
        Assert.Equal(0f, sampler.Sigmas[steps]);
        Assert.InRange(sampler.Sigmas[0], 0.99f, 1f);
        for (var i = 0; i < steps; i++)
        {
            Assert.True(sampler.Sigmas[i] > sampler.Sigmas[i + 1], $"sigma {i} = {sampler.Sigmas[i]} is not above sigma {i + 1}");
            Assert.InRange(sampler.Timesteps[i], 0f, 1000f);
        }
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void Timesteps_follow_the_sigmas(string kind, int steps, double shift)
    {
        var sampler = Make(kind, steps, shift);
        for (var i = 0; i < steps; i++)
        {
            var scaled = sampler.Sigmas[i] * 1000f;
            if (kind == "euler")
            {
                Assert.Equal(scaled, sampler.Timesteps[i]);
            }
            else
            {
                // int64(sigma64 * 1000): a whole number just under the float32 sigma times 1000.
                Assert.Equal(MathF.Truncate(sampler.Timesteps[i]), sampler.Timesteps[i]);
                Assert.InRange(scaled - sampler.Timesteps[i], -0.001f, 1.001f);
            }
        }
    }

    [Fact]
    public void Euler_starts_at_sigma_one_because_diffusers_shifts_the_end_points_too()
    {
        var sampler = new FlowMatchEulerSampler(20, 3.0);
        Assert.Equal(1f, sampler.Sigmas[0]);
        Assert.Equal(1000f, sampler.Timesteps[0]);

        // The last sigma is shift(shift(0.001)): diffusers applies the shift to sigma_min in the constructor and
        // again in set_timesteps.
        var once = 3.0 * 0.001 / (1 + (2 * 0.001));
        var twice = 3.0 * once / (1 + (2 * once));
        Assert.Equal(twice, sampler.Sigmas[19], 1e-6);
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void An_exact_velocity_keeps_the_sample_on_the_straight_path(string kind, int steps, double shift)
    {
        // For x_s = (1 - s) x0 + s e the velocity is e - x0 at every s; both solvers are exact on that path.
        var rng = new Random(5);
        var clean = Enumerable.Range(0, 64).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        var noise = Enumerable.Range(0, 64).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        var velocity = noise.Zip(clean, (e, x) => e - x).ToArray();
        var sampler = Make(kind, steps, shift);
        var s0 = sampler.Sigmas[0];
        var sample = clean.Zip(noise, (x, e) => ((1 - s0) * x) + (s0 * e)).ToArray();
        for (var i = 0; i < steps; i++)
        {
            sampler.Step(i, velocity, sample);
            var s = sampler.Sigmas[i + 1];
            for (var j = 0; j < sample.Length; j++)
            {
                Assert.Equal(((1 - s) * clean[j]) + (s * noise[j]), sample[j], 2e-5f);
            }
        }

        Assert.Equal(steps, sampler.StepsTaken);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(20)]
    public void Dpm_last_step_returns_the_predicted_clean_sample_exactly(int steps)
    {
        var sampler = new DpmSolverMultistepSampler(steps, 3.0);
        var rng = new Random(1);
        var sample = Enumerable.Range(0, 33).Select(_ => (float)rng.NextDouble()).ToArray();
        for (var i = 0; i < steps - 1; i++)
        {
            sampler.Step(i, Enumerable.Range(0, 33).Select(_ => (float)rng.NextDouble()).ToArray(), sample);
        }

        var velocity = Enumerable.Range(0, 33).Select(_ => (float)rng.NextDouble()).ToArray();
        var sigma = sampler.Sigmas[steps - 1];
        var expected = sample.Zip(velocity, (x, v) => x - (sigma * v)).ToArray();
        sampler.Step(steps - 1, velocity, sample);
        Assert.Equal(expected, sample);
    }

    [Theory]
    [InlineData("dpm")]
    [InlineData("euler")]
    public void Images_in_one_batch_come_out_as_if_run_alone(string kind)
    {
        const int perImage = 40;
        var rng = new Random(9);
        float[] Draw(int n) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 4) - 2)).ToArray();
        var start = Draw(2 * perImage);
        var velocities = Enumerable.Range(0, 8).Select(_ => Draw(2 * perImage)).ToArray();

        var batch = (float[])start.Clone();
        var together = Make(kind, 8, 3.0);
        var alone = new[] { Make(kind, 8, 3.0), Make(kind, 8, 3.0) };
        var singles = new[] { start[..perImage], start[perImage..] };
        for (var step = 0; step < 8; step++)
        {
            together.Step(step, velocities[step], batch);
            for (var b = 0; b < 2; b++)
            {
                alone[b].Step(step, velocities[step].AsSpan(b * perImage, perImage), singles[b]);
            }
        }

        Assert.Equal(singles[0].Concat(singles[1]), batch);
    }

    [Theory]
    [InlineData("dpm")]
    [InlineData("euler")]
    public void Steps_must_come_in_order_over_one_buffer_length(string kind)
    {
        var sampler = Make(kind, 3, 3.0);
        var x = new float[8];
        var v = new float[8];
        Assert.Throws<InvalidOperationException>(() => sampler.Step(1, v, x));
        sampler.Step(0, v, x);
        Assert.Throws<InvalidOperationException>(() => sampler.Step(0, v, x));
        Assert.Throws<InvalidOperationException>(() => sampler.Step(1, new float[4], new float[4]));
        Assert.Throws<InvalidOperationException>(() => sampler.Step(1, new float[7], x));
        sampler.Step(1, v, x);
        sampler.Step(2, v, x);
        Assert.Throws<InvalidOperationException>(() => sampler.Step(3, v, x));
    }

    [Fact]
    public void Dpm_second_order_step_is_the_midpoint_update()
    {
        var sampler = new DpmSolverMultistepSampler(5, 3.0);
        float[] x = [0.3f, -1.2f];
        float[] v0 = [0.5f, 0.25f];
        float[] v1 = [-0.7f, 1.1f];
        sampler.Step(0, v0, x);
        var s = sampler.Sigmas.Select(f => (double)f).ToArray();
        double Lambda(double sigma) => Math.Log(1 - sigma) - Math.Log(sigma);
        var after0 = x.Select(f => (double)f).ToArray();
        var prevX0 = new[] { 0.3 - (s[0] * 0.5), -1.2 - (s[0] * 0.25) };
        sampler.Step(1, v1, x);
        var h = Lambda(s[2]) - Lambda(s[1]);
        var r0 = (Lambda(s[1]) - Lambda(s[0])) / h;
        for (var j = 0; j < 2; j++)
        {
            var x0 = after0[j] - (s[1] * v1[j]);
            var d1 = (x0 - prevX0[j]) / r0;
            var expected = (s[2] / s[1] * after0[j]) - ((1 - s[2]) * (Math.Exp(-h) - 1) * (x0 + (0.5 * d1)));
            Assert.Equal(expected, x[j], 1e-5);
        }
    }
}
