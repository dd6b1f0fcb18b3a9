using System.Globalization;
using System.Text.Json;
using Sana.Inference.Pipeline;

namespace Sana.Inference.Schedulers;

/// <summary>
/// Makes the sampler for one generation from the request's choice and the model's scheduler config. The config names
/// the model's native sampler; asking for the other kind builds it as a diffusers user would swap it in for Sana:
/// Euler as FlowMatchEulerDiscreteScheduler(shift=k), DPM as the hub's DPM-Solver++ 2M config with flow_shift k,
/// k being the config's shift unless the request overrides it.
/// </summary>
public static class SamplerFactory
{
    /// <summary>Parses <paramref name="schedulerSection"/> (the manifest's "scheduler") and creates the sampler.</summary>
    /// <exception cref="SchedulerConfigException">the section asks for something not reproduced here.</exception>
    /// <exception cref="GenerationRequestException">steps or shift out of range.</exception>
    public static IFlowSampler Create(SamplerKind kind, JsonElement schedulerSection, int steps, double? shiftOverride) =>
        Create(kind, SchedulerConfig.Parse(schedulerSection), steps, shiftOverride);

    /// <exception cref="GenerationRequestException">steps or shift out of range.</exception>
    public static IFlowSampler Create(SamplerKind kind, SchedulerConfig config, int steps, double? shiftOverride)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (steps < 1)
        {
            throw new GenerationRequestException("steps", $"{steps} must be at least 1");
        }

        var shift = shiftOverride ?? config.FlowShift;
        if (!double.IsFinite(shift) || shift <= 0)
        {
            throw new GenerationRequestException("flow_shift", $"{shift.ToString(CultureInfo.InvariantCulture)} must be a positive finite number");
        }

        return kind switch
        {
            SamplerKind.DpmSolver => new DpmSolverMultistepSampler(
                steps,
                shift,
                config.ClassName == SchedulerConfig.DpmSolverClassName ? config.SolverOrder : SchedulerConfig.SanaDefault.SolverOrder,
                config.NumTrainTimesteps),
            SamplerKind.Euler => new FlowMatchEulerSampler(steps, shift, config.NumTrainTimesteps),
            _ => throw new GenerationRequestException("scheduler", $"'{kind}' is not dpm or euler"),
        };
    }
}
