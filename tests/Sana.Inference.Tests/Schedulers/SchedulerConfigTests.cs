using System.Text.Json;
using System.Text.Json.Nodes;
using Sana.Inference.Pipeline;
using Sana.Inference.Schedulers;

namespace Sana.Inference.Tests.Schedulers;

public sealed class SchedulerConfigTests
{
    // Sana_1600M_1024px_diffusers/scheduler/scheduler_config.json (lambda_min_clipped is -Infinity there, which is not
    // JSON; exporters write null or drop it, and it does not affect flow sigmas).
    private const string HubConfig = """
        {
          "_class_name": "DPMSolverMultistepScheduler",
          "_diffusers_version": "0.32.0.dev0",
          "algorithm_type": "dpmsolver++",
          "beta_end": 0.02,
          "beta_schedule": "linear",
          "beta_start": 0.0001,
          "dynamic_thresholding_ratio": 0.995,
          "euler_at_final": false,
          "final_sigmas_type": "zero",
          "flow_shift": 3.0,
          "lambda_min_clipped": null,
          "lower_order_final": true,
          "num_train_timesteps": 1000,
          "prediction_type": "flow_prediction",
          "rescale_betas_zero_snr": false,
          "sample_max_value": 1.0,
          "solver_order": 2,
          "solver_type": "midpoint",
          "steps_offset": 0,
          "thresholding": false,
          "timestep_spacing": "linspace",
          "trained_betas": null,
          "use_beta_sigmas": false,
          "use_exponential_sigmas": false,
          "use_flow_sigmas": true,
          "use_karras_sigmas": false,
          "use_lu_lambdas": false,
          "variance_type": null
        }
        """;

    private static string With(string key, JsonNode? value)
    {
        var node = JsonNode.Parse(HubConfig)!.AsObject();
        node[key] = value;
        return node.ToJsonString();
    }

    private static string Without(string key)
    {
        var node = JsonNode.Parse(HubConfig)!.AsObject();
        node.Remove(key);
        return node.ToJsonString();
    }

    [Fact]
    public void Hub_config_is_dpm_solver_order_2_with_shift_3()
    {
        var config = SchedulerConfig.Parse(HubConfig);
        Assert.Equal(SchedulerConfig.SanaDefault, config);
        Assert.Equal(SchedulerConfig.DpmSolverClassName, config.ClassName);
        Assert.Equal(3.0, config.FlowShift);
        Assert.Equal(2, config.SolverOrder);
        Assert.Equal(1000, config.NumTrainTimesteps);
    }

    [Theory]
    [InlineData("algorithm_type", "\"sde-dpmsolver++\"", "'dpmsolver++'")]
    [InlineData("algorithm_type", "\"dpmsolver\"", "'dpmsolver++'")]
    [InlineData("solver_type", "\"heun\"", "'midpoint'")]
    [InlineData("prediction_type", "\"epsilon\"", "'flow_prediction'")]
    [InlineData("final_sigmas_type", "\"sigma_min\"", "'zero'")]
    [InlineData("use_flow_sigmas", "false", "true")]
    [InlineData("use_karras_sigmas", "true", "false")]
    [InlineData("use_exponential_sigmas", "true", "false")]
    [InlineData("use_beta_sigmas", "true", "false")]
    [InlineData("use_lu_lambdas", "true", "false")]
    [InlineData("thresholding", "true", "false")]
    [InlineData("solver_order", "3", "1, 2")]
    [InlineData("flow_shift", "0", "positive")]
    [InlineData("flow_shift", "\"3\"", "number")]
    [InlineData("num_train_timesteps", "1.5", "integer")]
    public void Unsupported_dpm_settings_are_refused_naming_the_field_and_what_is_supported(string key, string json, string supported)
    {
        var e = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(With(key, JsonNode.Parse(json))));
        Assert.Equal(key, e.Field);
        Assert.StartsWith($"scheduler.{key}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(supported, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("prediction_type")]
    [InlineData("use_flow_sigmas")]
    public void Absent_keys_take_diffusers_defaults_which_may_be_unsupported(string key)
    {
        var e = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(Without(key)));
        Assert.Equal(key, e.Field);
        Assert.Contains("default when absent", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Absent_flow_shift_is_diffusers_default_of_one()
    {
        Assert.Equal(1.0, SchedulerConfig.Parse(Without("flow_shift")).FlowShift);
    }

    [Theory]
    [InlineData("euler_at_final", "true")]
    [InlineData("lower_order_final", "false")]
    [InlineData("use_dynamic_shifting", "true")]
    [InlineData("timestep_spacing", "\"trailing\"")]
    [InlineData("solver_order", "1")]
    [InlineData("lambda_min_clipped", "\"-Infinity\"")]
    public void Settings_that_change_no_number_for_flow_sigmas_are_accepted(string key, string json)
    {
        _ = SchedulerConfig.Parse(With(key, JsonNode.Parse(json)));
    }

    [Fact]
    public void Unknown_scheduler_class_is_refused()
    {
        var e = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse("""{"_class_name": "UniPCMultistepScheduler"}"""));
        Assert.Equal("_class_name", e.Field);
        Assert.Contains("DPMSolverMultistepScheduler, FlowMatchEulerDiscreteScheduler", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Euler_config_reads_shift()
    {
        var config = SchedulerConfig.Parse("""{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 3.0, "use_dynamic_shifting": false, "shift_terminal": null}""");
        Assert.Equal(SchedulerConfig.FlowMatchEulerClassName, config.ClassName);
        Assert.Equal(3.0, config.FlowShift);
    }

    [Theory]
    [InlineData("use_dynamic_shifting", "true")]
    [InlineData("invert_sigmas", "true")]
    [InlineData("stochastic_sampling", "true")]
    [InlineData("use_karras_sigmas", "true")]
    [InlineData("shift_terminal", "0.1")]
    public void Unsupported_euler_settings_are_refused(string key, string json)
    {
        var text = $$"""{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 3.0, "{{key}}": {{json}}}""";
        var e = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(text));
        Assert.Equal(key, e.Field);
    }

    [Fact]
    public void Factory_builds_euler_from_the_dpm_config_with_its_flow_shift()
    {
        using var doc = JsonDocument.Parse(HubConfig);
        var sampler = SamplerFactory.Create(SamplerKind.Euler, doc.RootElement, 20, null);
        Assert.IsType<FlowMatchEulerSampler>(sampler);
        Assert.Equal(new FlowMatchEulerSampler(20, 3.0).Sigmas, sampler.Sigmas);
    }

    [Fact]
    public void Factory_builds_dpm_from_an_euler_config_with_sana_defaults()
    {
        var config = SchedulerConfig.Parse("""{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 3.0}""");
        var sampler = SamplerFactory.Create(SamplerKind.DpmSolver, config, 20, null);
        Assert.IsType<DpmSolverMultistepSampler>(sampler);
        Assert.Equal(new DpmSolverMultistepSampler(20, 3.0).Timesteps, sampler.Timesteps);
    }

    [Fact]
    public void Request_shift_overrides_the_config()
    {
        var sampler = SamplerFactory.Create(SamplerKind.DpmSolver, SchedulerConfig.SanaDefault, 20, 4.5);
        Assert.Equal(new DpmSolverMultistepSampler(20, 4.5).Sigmas, sampler.Sigmas);
        Assert.NotEqual(new DpmSolverMultistepSampler(20, 3.0).Sigmas, sampler.Sigmas);
    }

    [Theory]
    [InlineData(0, null, "steps")]
    [InlineData(20, 0.0, "flow_shift")]
    [InlineData(20, double.NaN, "flow_shift")]
    public void Factory_refuses_out_of_range_requests(int steps, double? shift, string field)
    {
        var e = Assert.Throws<GenerationRequestException>(() => SamplerFactory.Create(SamplerKind.Euler, SchedulerConfig.SanaDefault, steps, shift));
        Assert.Equal(field, e.Field);
    }
}
