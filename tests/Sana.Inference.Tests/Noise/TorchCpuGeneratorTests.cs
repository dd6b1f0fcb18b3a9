using Sana.Inference.Noise;

namespace Sana.Inference.Tests.Noise;

public sealed class TorchCpuGeneratorTests
{
    [Fact]
    public void Seed_5489_gives_the_std_mt19937_sequence()
    {
        // The C++ standard pins these: the first output for the default seed, and the 10000th (std::mt19937 check value).
        var g = new TorchCpuGenerator(5489);
        Assert.Equal(3499211612u, g.NextUInt32());
        for (var i = 2; i < 10000; i++)
        {
            g.NextUInt32();
        }

        Assert.Equal(4123659995u, g.NextUInt32());
    }

    [Theory]
    [InlineData(42UL, (1UL << 32) + 42)]
    [InlineData(0UL, 1UL << 32)]
    [InlineData(0xFFFFFFFFUL, ulong.MaxValue)]
    public void Only_the_low_32_bits_of_the_seed_reach_the_engine(ulong low, ulong full)
    {
        var a = new TorchCpuGenerator(low);
        var b = new TorchCpuGenerator(full);
        for (var i = 0; i < 2000; i++)
        {
            Assert.Equal(a.NextUInt32(), b.NextUInt32());
        }

        Assert.Equal(full, b.Seed);
    }

    [Fact]
    public void Random64_puts_the_first_word_in_the_high_half()
    {
        var words = new TorchCpuGenerator(7);
        var pairs = new TorchCpuGenerator(7);
        for (var i = 0; i < 700; i++)
        {
            ulong high = words.NextUInt32();
            ulong low = words.NextUInt32();
            Assert.Equal((high << 32) | low, pairs.NextUInt64());
        }
    }

    [Fact]
    public void Manual_seed_restarts_the_sequence_and_drops_the_cached_normal()
    {
        var g = new TorchCpuGenerator(3);
        var first = Enumerable.Range(0, 1000).Select(_ => g.NextUInt32()).ToArray();
        g.CacheNormal(1.5);
        g.ManualSeed(3);
        Assert.False(g.TryTakeCachedNormal(out _));
        Assert.Equal(first, Enumerable.Range(0, 1000).Select(_ => g.NextUInt32()).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(623)]
    [InlineData(624)]
    [InlineData(625)]
    [InlineData(5000)]
    public void Bulk_uniform_fill_equals_one_draw_at_a_time_across_state_regenerations(int count)
    {
        var bulk = new TorchCpuGenerator(123);
        var single = new TorchCpuGenerator(123);

        // Start at an offset so the bulk fill begins mid-state.
        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(single.NextUInt32(), bulk.NextUInt32());
        }

        var filled = new float[count];
        bulk.FillUniformSingles(filled);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(single.NextUniformSingle(), filled[i]);
        }

        Assert.Equal(single.NextUInt32(), bulk.NextUInt32());
    }

    [Fact]
    public void Uniform_single_is_the_low_24_bits_scaled_to_unit()
    {
        var words = new TorchCpuGenerator(99);
        var uniforms = new TorchCpuGenerator(99);
        for (var i = 0; i < 100; i++)
        {
            var w = words.NextUInt32();
            var u = uniforms.NextUniformSingle();
            Assert.Equal((w & 0xFFFFFF) / 16777216.0, (double)u);
            Assert.InRange(u, 0f, 1f - (1f / 16777216f));
        }
    }
}
