using System.Globalization;
using System.Text.Json;

namespace Sana.Inference.Schedulers;

/// <summary>
/// The part of diffusers' scheduler_config.json (the manifest's "scheduler" section) that decides the numbers, after
/// checking that everything else is something this runtime reproduces exactly. Absent keys take the diffusers
/// constructor defaults of the named class, as <c>from_config</c> would; settings that change the schedule or the
/// update in a way not implemented here are refused with the field named (<see cref="SchedulerConfigException"/>).
/// </summary>
public sealed record SchedulerConfig
{
    public const string DpmSolverClassName = "DPMSolverMultistepScheduler";
    public const string FlowMatchEulerClassName = "FlowMatchEulerDiscreteScheduler";

    /// <summary>The hub's Sana config: DPM-Solver++ 2M, flow sigmas, flow_shift 3.</summary>
    public static SchedulerConfig SanaDefault { get; } = new();

    /// <summary><see cref="DpmSolverClassName"/> or <see cref="FlowMatchEulerClassName"/>: the model's native sampler.</summary>
    public string ClassName { get; init; } = DpmSolverClassName;

    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>k in sigma' = k sigma / (1 + (k - 1) sigma): DPM's flow_shift or Euler's shift.</summary>
    public double FlowShift { get; init; } = 3.0;

    /// <summary>DPM-Solver order, 1 or 2 (Euler ignores it).</summary>
    public int SolverOrder { get; init; } = 2;

    /// <summary>Parses a scheduler_config.json document.</summary>
    public static SchedulerConfig Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Parse(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new SchedulerConfigException($"scheduler: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>Parses the manifest's scheduler section.</summary>
    public static SchedulerConfig Parse(JsonElement section)
    {
        if (section.ValueKind != JsonValueKind.Object)
        {
            throw new SchedulerConfigException("scheduler: must be an object (diffusers' scheduler_config.json)");
        }

        var reader = new Reader(section);
        var className = reader.String("_class_name", null)
            ?? throw new SchedulerConfigException("_class_name", $"missing; supported: {DpmSolverClassName}, {FlowMatchEulerClassName}");
        return className switch
        {
            DpmSolverClassName => ParseDpmSolver(reader),
            FlowMatchEulerClassName => ParseFlowMatchEuler(reader),
            _ => throw new SchedulerConfigException("_class_name", $"'{className}' is not supported; supported: {DpmSolverClassName}, {FlowMatchEulerClassName}"),
        };
    }

    private static SchedulerConfig ParseDpmSolver(Reader r)
    {
        // diffusers maps 'deis' to dpmsolver++ and logrho/bh1/bh2 to midpoint in the constructor.
        r.RequireOneOf("algorithm_type", "dpmsolver++", ["dpmsolver++", "deis"]);
        r.RequireOneOf("solver_type", "midpoint", ["midpoint", "logrho", "bh1", "bh2"]);
        r.RequireOneOf("prediction_type", "epsilon", ["flow_prediction"]);
        r.RequireOneOf("final_sigmas_type", "zero", ["zero"]);
        r.RequireFlag("use_flow_sigmas", defaultValue: false, required: true);
        foreach (var flag in new[] { "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "use_lu_lambdas", "thresholding" })
        {
            r.RequireFlag(flag, defaultValue: false, required: false);
        }

        // lower_order_final and euler_at_final only pick first order for the last step(s); with final_sigmas_type
        // 'zero' the last step is first order anyway and order 2 never goes higher, so neither changes a number.
        // use_dynamic_shifting only acts through set_timesteps(mu=...), which SanaPipeline never passes. The beta
        // schedule, timestep_spacing and lambda_min_clipped feed only the non-flow sigma paths.
        r.Bool("lower_order_final", true);
        r.Bool("euler_at_final", false);
        var order = r.Int("solver_order", 2);
        if (order is not (1 or 2))
        {
            throw new SchedulerConfigException("solver_order", $"{order} is not supported; supported: 1, 2");
        }

        return new SchedulerConfig
        {
            ClassName = DpmSolverClassName,
            NumTrainTimesteps = r.PositiveInt("num_train_timesteps", 1000),
            FlowShift = r.PositiveDouble("flow_shift", 1.0),
            SolverOrder = order,
        };
    }

    private static SchedulerConfig ParseFlowMatchEuler(Reader r)
    {
        // set_timesteps raises without mu when dynamic shifting is on, and SanaPipeline passes no mu.
        foreach (var flag in new[] { "use_dynamic_shifting", "invert_sigmas", "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "stochastic_sampling" })
        {
            r.RequireFlag(flag, defaultValue: false, required: false);
        }

        var terminal = r.Double("shift_terminal", 0);
        if (terminal != 0)
        {
            throw new SchedulerConfigException("shift_terminal", $"{terminal.ToString(CultureInfo.InvariantCulture)} is not supported; supported: null");
        }

        return new SchedulerConfig
        {
            ClassName = FlowMatchEulerClassName,
            NumTrainTimesteps = r.PositiveInt("num_train_timesteps", 1000),
            FlowShift = r.PositiveDouble("shift", 1.0),
            SolverOrder = 1,
        };
    }

    /// <summary>Typed reads with null or absent meaning the default, and the key named in every error.</summary>
    private readonly struct Reader(JsonElement section)
    {
        public string? String(string key, string? defaultValue) => Get(key) switch
        {
            null => defaultValue,
            { ValueKind: JsonValueKind.String } v => v.GetString(),
            { } v => throw Wrong(key, "a string", v),
        };

        public bool Bool(string key, bool defaultValue) => Get(key) switch
        {
            null => defaultValue,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            { } v => throw Wrong(key, "true or false", v),
        };

        public double Double(string key, double defaultValue) => Get(key) switch
        {
            null => defaultValue,
            { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
            { } v => throw Wrong(key, "a number", v),
        };

        public int Int(string key, int defaultValue) => Get(key) switch
        {
            null => defaultValue,
            { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out var i) => i,
            { } v => throw Wrong(key, "an integer", v),
        };

        public int PositiveInt(string key, int defaultValue)
        {
            var value = Int(key, defaultValue);
            return value > 0 ? value : throw new SchedulerConfigException(key, $"{value} must be positive");
        }

        public double PositiveDouble(string key, double defaultValue)
        {
            var value = Double(key, defaultValue);
            return double.IsFinite(value) && value > 0
                ? value
                : throw new SchedulerConfigException(key, $"{value.ToString(CultureInfo.InvariantCulture)} must be a positive finite number");
        }

        public void RequireOneOf(string key, string defaultValue, string[] supported)
        {
            var value = String(key, defaultValue);
            if (Array.IndexOf(supported, value) < 0)
            {
                var absent = Get(key) is null ? " (diffusers' default when absent)" : "";
                throw new SchedulerConfigException(key, $"'{value}'{absent} is not supported; supported: {string.Join(", ", supported.Select(s => $"'{s}'"))}");
            }
        }

        public void RequireFlag(string key, bool defaultValue, bool required)
        {
            var value = Bool(key, defaultValue);
            if (value != required)
            {
                var absent = Get(key) is null ? " (diffusers' default when absent)" : "";
                throw new SchedulerConfigException(key, $"{(value ? "true" : "false")}{absent} is not supported; supported: {(required ? "true" : "false")}");
            }
        }

        private JsonElement? Get(string key) =>
            section.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        private static SchedulerConfigException Wrong(string key, string expected, JsonElement actual) =>
            new(key, $"must be {expected}, got {actual.GetRawText()}");
    }
}
