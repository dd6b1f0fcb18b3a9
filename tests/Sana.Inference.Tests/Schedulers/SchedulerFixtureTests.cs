using System.Text.Json;
using Sana.Inference.Pipeline;
using Sana.Inference.Schedulers;
using Sana.Inference.Tests.Fixtures;

namespace Sana.Inference.Tests.Schedulers;

/// <summary>
/// Schedules and scheduler.step walks recorded from diffusers (tests/fixtures/tiny-sana/reference/schedulers.json):
/// "dpm" is DPMSolverMultistepScheduler.from_config(the tiny folder's Sana config, flow_shift=shift), "euler" is
/// FlowMatchEulerDiscreteScheduler(shift=shift), both after set_timesteps(steps).
/// </summary>
public sealed class SchedulerFixtureTests
{
    private const double WalkRelativeTolerance = 1e-6;

    private static List<JsonElement> Entries()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(FixturePaths.RequireReference("schedulers.json")));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static IFlowSampler Make(JsonElement entry)
    {
        var kind = entry.GetProperty("scheduler").GetString() switch
        {
            "dpm" => SamplerKind.DpmSolver,
            "euler" => SamplerKind.Euler,
            var other => throw new InvalidDataException($"unknown scheduler {other}"),
        };
        return SamplerFactory.Create(kind, SchedulerConfig.SanaDefault, entry.GetProperty("steps").GetInt32(), entry.GetProperty("shift").GetDouble());
    }

    private static string Label(JsonElement e) =>
        $"{e.GetProperty("scheduler").GetString()} steps {e.GetProperty("steps").GetInt32()} shift {e.GetProperty("shift").GetDouble()}";

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    [Fact]
    public void Sigmas_match_diffusers_bit_for_bit()
    {
        var entries = Entries();
        Assert.True(entries.Count >= 40, $"only {entries.Count} schedules recorded");
        foreach (var entry in entries)
        {
            var expected = Floats(entry.GetProperty("sigmas"));
            var actual = Make(entry).Sigmas.ToArray();
            Assert.True(expected.SequenceEqual(actual), $"{Label(entry)}: sigmas\n torch {string.Join(", ", expected.Select(f => f.ToString("R")))}\n here  {string.Join(", ", actual.Select(f => f.ToString("R")))}");
        }
    }

    [Fact]
    public void Timesteps_match_diffusers_bit_for_bit()
    {
        foreach (var entry in Entries())
        {
            // DPM's are int64 and Euler's float32; both reach the transformer as float32.
            var expected = Floats(entry.GetProperty("timesteps"));
            var actual = Make(entry).Timesteps.ToArray();
            Assert.True(expected.SequenceEqual(actual), $"{Label(entry)}: timesteps\n torch {string.Join(", ", expected.Select(f => f.ToString("R")))}\n here  {string.Join(", ", actual.Select(f => f.ToString("R")))}");
        }
    }

    [Fact]
    public void Step_walks_match_diffusers()
    {
        var walks = 0;
        foreach (var entry in Entries())
        {
            if (!entry.TryGetProperty("walk", out var walk))
            {
                continue;
            }

            var sampler = Make(entry);
            var sample = Floats(walk.GetProperty("initial_sample"));
            var outputs = walk.GetProperty("model_outputs").EnumerateArray().Select(Floats).ToArray();
            var expected = walk.GetProperty("prev_samples").EnumerateArray().Select(Floats).ToArray();
            Assert.Equal(sampler.Timesteps.Count, outputs.Length);
            for (var step = 0; step < outputs.Length; step++)
            {
                sampler.Step(step, outputs[step], sample);
                for (var j = 0; j < sample.Length; j++)
                {
                    var want = expected[step][j];
                    var error = Math.Abs((double)sample[j] - want);
                    Assert.True(
                        error <= WalkRelativeTolerance * Math.Max(Math.Abs(want), 1e-3),
                        $"{Label(entry)}, step {step}, element {j}: diffusers {want:R}, here {sample[j]:R}");
                }

                // Seen bit-exact on the recorded walks (torch 2.11 CPU); the tolerance leaves room for another libm.
                // Carry on from diffusers' own sample so that one early difference does not hide the later steps.
                expected[step].CopyTo(sample, 0);
            }

            walks++;
        }

        Assert.True(walks >= 4, $"only {walks} step walks recorded");
    }

    [Fact]
    public void The_exported_tiny_model_scheduler_section_is_the_sana_default()
    {
        var manifest = Path.Combine(FixturePaths.TinySana, "model", "sana-model.json");
        Assert.True(File.Exists(manifest), $"missing {manifest}");
        using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        Assert.Equal(SchedulerConfig.SanaDefault, SchedulerConfig.Parse(doc.RootElement.GetProperty("scheduler")));
    }

    [Fact]
    public void Pipeline_cases_get_their_schedule_from_the_model_folder_config()
    {
        // What the denoising loop does: the manifest's scheduler section, the request's sampler, no shift override.
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixturePaths.TinySana, "model", "sana-model.json")));
        var section = manifest.RootElement.GetProperty("scheduler");
        using var doc = JsonDocument.Parse(File.ReadAllText(FixturePaths.RequireReference("cases.json")));
        var cases = doc.RootElement.GetProperty("cases").EnumerateArray().ToList();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var kind = c.GetProperty("scheduler").GetString() == "euler" ? SamplerKind.Euler : SamplerKind.DpmSolver;
            var sampler = SamplerFactory.Create(kind, section, c.GetProperty("num_inference_steps").GetInt32(), null);
            var name = c.GetProperty("name").GetString();
            Assert.True(Floats(c.GetProperty("timesteps")).SequenceEqual(sampler.Timesteps), $"{name}: timesteps");
            Assert.True(Floats(c.GetProperty("sigmas")).SequenceEqual(sampler.Sigmas), $"{name}: sigmas");
        }
    }
}
