using Sana.Inference.Noise;

namespace Sana.Inference.Tests.Noise;

public sealed class TorchRandnTests
{
    private static float[] Randn(ulong seed, int count)
    {
        var values = new float[count];
        TorchRandn.Fill(new TorchCpuGenerator(seed), values);
        return values;
    }

    [Fact]
    public void Small_draw_matches_torch_printed_values_for_seed_0()
    {
        // torch.manual_seed(0); torch.randn(5) as printed by torch (4 decimals): the double-precision path.
        Assert.Equal([1.5410f, -0.2934f, -2.1788f, 0.5684f, -1.0845f], Randn(0, 5), (a, b) => MathF.Abs(a - b) < 6e-5f);
    }

    [Fact]
    public void Small_draw_matches_torch_printed_values_for_seed_42()
    {
        // torch.manual_seed(42); torch.randn(2, 3)
        Assert.Equal([0.3367f, 0.1288f, 0.2345f, 0.2303f, -1.1229f, -0.1863f], Randn(42, 6), (a, b) => MathF.Abs(a - b) < 6e-5f);
    }

    [Fact]
    public void Sixteen_element_draw_matches_torch_printed_values_for_seed_0()
    {
        // torch.manual_seed(0); torch.randn(4, 4): the float32 16-at-a-time path.
        float[] expected =
        [
            -1.1258f, -1.1524f, -0.2506f, -0.4339f, 0.8487f, 0.6920f, -0.3160f, -2.1152f,
            0.3223f, -1.2633f, 0.3500f, 0.3081f, 0.1198f, 1.2377f, 1.1168f, -0.2473f,
        ];
        Assert.Equal(expected, Randn(0, 16), (a, b) => MathF.Abs(a - b) < 6e-5f);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(4096)]
    [InlineData(100_003)]
    public void Vector_and_scalar_kernels_give_identical_bits(int count)
    {
        foreach (var seed in new ulong[] { 0, 42, 1234567, ulong.MaxValue })
        {
            var vector = new float[count];
            var scalar = new float[count];
            TorchRandn.Fill(new TorchCpuGenerator(seed), vector, 0f, 1f, vectorized: true);
            TorchRandn.Fill(new TorchCpuGenerator(seed), scalar, 0f, 1f, vectorized: false);
            for (var i = 0; i < count; i++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(vector[i]) == BitConverter.SingleToInt32Bits(scalar[i]),
                    $"seed {seed}, element {i}: vector {vector[i]:R}, scalar {scalar[i]:R}");
            }
        }
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(17, 33)]
    [InlineData(31, 47)]
    [InlineData(32, 32)]
    [InlineData(33, 49)]
    public void Counts_not_a_multiple_of_16_redraw_the_last_16_uniforms(int count, int wordsUsed)
    {
        var g = new TorchCpuGenerator(5);
        TorchRandn.Fill(g, new float[count]);
        var reference = new TorchCpuGenerator(5);
        for (var i = 0; i < wordsUsed; i++)
        {
            reference.NextUInt32();
        }

        Assert.Equal(reference.NextUInt32(), g.NextUInt32());
    }

    [Fact]
    public void Tail_block_is_the_transform_of_16_fresh_uniforms()
    {
        var drawn = Randn(11, 20);
        var g = new TorchCpuGenerator(11);
        var uniforms = new float[36];
        g.FillUniformSingles(uniforms);
        var tail = uniforms[20..36];
        BoxMuller16.Scalar(tail, 0f, 1f);
        Assert.Equal(tail, drawn[4..20]);
        var head = uniforms[..16];
        BoxMuller16.Scalar(head, 0f, 1f);
        Assert.Equal(head[..4], drawn[..4]);
    }

    [Fact]
    public void Small_draws_share_the_cached_normal_across_calls()
    {
        // One generator drawing 5 then 5 gives the same ten values as ten draws of one: the spare normal of each
        // Box-Muller pair is kept in the generator between calls.
        var g = new TorchCpuGenerator(8);
        var five = new float[5];
        var joined = new List<float>();
        TorchRandn.Fill(g, five);
        joined.AddRange(five);
        TorchRandn.Fill(g, five);
        joined.AddRange(five);

        var one = new TorchCpuGenerator(8);
        var singles = Enumerable.Range(0, 10).Select(_ =>
        {
            var v = new float[1];
            TorchRandn.Fill(one, v);
            return v[0];
        });
        Assert.Equal(singles, joined);
    }

    [Fact]
    public void Large_draws_leave_the_cached_normal_alone()
    {
        var g = new TorchCpuGenerator(21);
        var first = new float[1];
        var second = new float[1];
        TorchRandn.Fill(g, first);
        TorchRandn.Fill(g, new float[16]);
        TorchRandn.Fill(g, second);

        var pair = Randn(21, 2);
        Assert.Equal(pair, new[] { first[0], second[0] });
    }

    [Fact]
    public void A_latent_is_standard_normal()
    {
        var x = LatentNoise.ForSeed(2024, 32, 128, 128);
        Assert.Equal(32 * 128 * 128, x.Length);
        var mean = x.Average(v => (double)v);
        var variance = x.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.99, 1.01);
        Assert.All(x, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Latent_noise_is_a_fresh_generator_per_seed()
    {
        var latent = LatentNoise.ForSeed(77, 4, 3, 5);
        Assert.Equal(Randn(77, 60), latent);
        var span = new float[60];
        LatentNoise.Fill(77, span);
        Assert.Equal(latent, span);
        Assert.NotEqual(latent, LatentNoise.ForSeed(78, 4, 3, 5));
    }
}
