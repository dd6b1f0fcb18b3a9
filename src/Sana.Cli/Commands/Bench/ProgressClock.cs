using System.Diagnostics;
using Sana.Inference.Pipeline;

namespace Sana.Cli.Commands.Bench;

/// <summary>
/// Timestamps of the pipeline's progress reports within one Generate call. Implements IProgress directly (not
/// Progress&lt;T&gt;) so each report is taken synchronously on the pipeline's thread, at the moment it happens.
/// </summary>
internal sealed class ProgressClock : IProgress<PipelineProgress>
{
    private readonly List<double> _steps = [];
    private Stopwatch? _clock;
    private double? _done;

    public void Start(Stopwatch clock) => _clock = clock;

    public void Report(PipelineProgress value)
    {
        var t = _clock!.Elapsed.TotalSeconds;
        if (value.ImagesDone >= value.ImagesTotal && value.ImagesTotal > 0 && value.StepsDone == value.StepsTotal && _steps.Count == value.StepsTotal)
        {
            _done = t;
        }
        else if (value.StepsDone > _steps.Count)
        {
            _steps.Add(t);
        }
    }

    /// <summary>Splits one call: see BenchReport.TimingMethod. Falls back to the total alone when reports are missing.</summary>
    public BenchRun Split(double total, int steps)
    {
        if (_steps.Count != steps || _done is null || steps < 1)
        {
            return new BenchRun(total, null, null, null, null);
        }

        var durations = new double[steps - 1];
        for (var i = 1; i < steps; i++)
        {
            durations[i - 1] = _steps[i] - _steps[i - 1];
        }

        Array.Sort(durations);
        var median = durations.Length == 0 ? _steps[0] : durations[durations.Length / 2];
        // The first step's report also covers the text encoder: one median step of it is the step, the rest the
        // encoder. Capped at the report's own time, so that a first step faster than the median (a noisy machine, or
        // few steps) never makes the parts add up to more than the call.
        var firstStep = Math.Min(median, _steps[0]);
        var transformer = _steps[^1] - _steps[0] + firstStep;
        var text = _steps[0] - firstStep;
        return new BenchRun(total, text, transformer, median, _done.Value - _steps[^1]);
    }
}

/// <summary>One timed Generate call; the split is null when the progress reports did not allow it.</summary>
internal sealed record BenchRun(double TotalSeconds, double? TextEncoderSeconds, double? TransformerSeconds, double? StepSeconds, double? VaeDecodeSeconds);
