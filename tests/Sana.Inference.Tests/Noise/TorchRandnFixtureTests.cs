using System.Globalization;
using System.Text.Json;
using Sana.Inference.Noise;
using Sana.Inference.Tests.Fixtures;

namespace Sana.Inference.Tests.Noise;

/// <summary>
/// torch.randn values recorded on the GPU machine (tests/fixtures/tiny-sana/reference/noise.json + noise/*.npy),
/// compared bit for bit: the proof that a seed draws the same latent here as in diffusers.
/// </summary>
public sealed class TorchRandnFixtureTests
{
    private static JsonElement NoiseIndex()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(FixturePaths.RequireReference("noise.json")));
        return doc.RootElement.Clone();
    }

    private static void AssertBitwiseEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var mismatches = 0;
        var first = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                mismatches++;
                first = first < 0 ? i : first;
            }
        }

        Assert.True(
            mismatches == 0,
            $"{what}: {mismatches} of {expected.Length} values differ; first at {first}: torch {(first < 0 ? 0 : expected[first]):R}, here {(first < 0 ? 0 : actual[first]):R}");
    }

    [Fact]
    public void Every_recorded_seed_and_shape_draws_the_same_bits_as_torch()
    {
        var compared = 0;
        var seeds = new HashSet<ulong>();
        foreach (var entry in NoiseIndex().GetProperty("cases").EnumerateArray())
        {
            var seed = ulong.Parse(entry.GetProperty("seed_string").GetString()!, CultureInfo.InvariantCulture);
            var shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            Assert.False(entry.TryGetProperty("error", out var error), $"torch refused seed {seed}: {error}");
            var expected = NpyReader.Read(FixturePaths.RequireReference(entry.GetProperty("file").GetString()!));
            Assert.Equal(shape, expected.Shape);

            var actual = new float[shape.Aggregate(1, (a, b) => a * b)];
            TorchRandn.Fill(new TorchCpuGenerator(seed), actual);
            AssertBitwiseEqual(expected.AsSingle(), actual, $"seed {seed}, shape [{string.Join(", ", shape)}]");
            compared++;
            seeds.Add(seed);
        }

        Assert.True(compared >= 50, $"only {compared} noise cases recorded");
        Assert.Contains((1UL << 32) + 42, seeds);
        Assert.Contains(ulong.MaxValue, seeds);
    }

    [Fact]
    public void Latents_match_torch_for_the_batch_shape_diffusers_uses()
    {
        foreach (var entry in NoiseIndex().GetProperty("cases").EnumerateArray())
        {
            var shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            if (shape.Length != 4 || shape[0] != 1)
            {
                continue;
            }

            var seed = ulong.Parse(entry.GetProperty("seed_string").GetString()!, CultureInfo.InvariantCulture);
            var expected = NpyReader.Read(FixturePaths.RequireReference(entry.GetProperty("file").GetString()!)).AsSingle();
            AssertBitwiseEqual(expected, LatentNoise.ForSeed(seed, shape[1], shape[2], shape[3]), $"latent seed {seed}");
        }
    }

    [Fact]
    public void Successive_draws_on_one_generator_match_torch()
    {
        var sequences = NoiseIndex().GetProperty("sequential").EnumerateArray().ToList();
        Assert.NotEmpty(sequences);
        foreach (var sequence in sequences)
        {
            var seed = sequence.GetProperty("seed").GetUInt64();
            var sizes = sequence.GetProperty("sizes").EnumerateArray().Select(s => s.GetInt32()).ToArray();
            var files = sequence.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToArray();
            var generator = new TorchCpuGenerator(seed);
            for (var call = 0; call < sizes.Length; call++)
            {
                var actual = new float[sizes[call]];
                TorchRandn.Fill(generator, actual);
                var expected = NpyReader.Read(FixturePaths.RequireReference(files[call])).AsSingle();
                AssertBitwiseEqual(expected, actual, $"seed {seed}, sizes [{string.Join(", ", sizes)}], call {call}");
            }
        }
    }

    [Fact]
    public void Pipeline_initial_noise_is_one_generator_per_image_seed()
    {
        // sana_dpm_cfg_20steps recorded the latents SanaPipeline drew with generator=[Generator.manual_seed(seed + i)].
        using var doc = JsonDocument.Parse(File.ReadAllText(FixturePaths.RequireReference("cases.json")));
        var cases = doc.RootElement.GetProperty("cases").EnumerateArray().ToList();
        var detailed = cases.Single(c => c.GetProperty("name").GetString() == "sana_dpm_cfg_20steps");
        var shape = detailed.GetProperty("latent_shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var seeds = detailed.GetProperty("seeds_string").EnumerateArray()
            .Select(s => ulong.Parse(s.GetString()!, CultureInfo.InvariantCulture)).ToArray();
        var expected = NpyReader.Read(FixturePaths.RequireReference("cases/sana_dpm_cfg_20steps_initial_noise.npy"));
        Assert.Equal(shape, expected.Shape);
        var perImage = shape[1] * shape[2] * shape[3];
        var all = expected.AsSingle();
        for (var i = 0; i < seeds.Length; i++)
        {
            AssertBitwiseEqual(all[(i * perImage)..((i + 1) * perImage)], LatentNoise.ForSeed(seeds[i], shape[1], shape[2], shape[3]), $"image {i}, seed {seeds[i]}");
        }
    }
}
