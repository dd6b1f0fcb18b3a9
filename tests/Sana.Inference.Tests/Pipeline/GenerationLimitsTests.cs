using Sana.Inference.Pipeline;

namespace Sana.Inference.Tests.Pipeline;

public sealed class GenerationLimitsTests
{
    private static readonly ModelDescription Model = new("m", LatentChannels: 8, PixelFactor: 32, NumLayers: 4, Device: "cpu");

    private static GenerationSettings Valid => new() { Prompt = "a fox", Width = 64, Height = 96 };

    [Fact]
    public void Valid_settings_pass() => GenerationLimits.Validate(Valid, Model);

    public static TheoryData<GenerationSettings, string> Invalid => new()
    {
        { Valid with { Width = 100 }, "width" },
        { Valid with { Height = 0 }, "height" },
        { Valid with { Width = -32 }, "width" },
        { Valid with { Width = GenerationLimits.MaxSide + 32 }, "width" },
        { Valid with { Steps = 0 }, "steps" },
        { Valid with { Steps = GenerationLimits.MaxSteps + 1 }, "steps" },
        { Valid with { GuidanceScale = double.NaN }, "guidance_scale" },
        { Valid with { GuidanceScale = double.PositiveInfinity }, "guidance_scale" },
        { Valid with { GuidanceScale = -1 }, "guidance_scale" },
        { Valid with { PagScale = double.NaN }, "pag_scale" },
        { Valid with { PagScale = 2, PagLayers = [] }, "pag_layers" },
        { Valid with { PagScale = 2, PagLayers = [4] }, "pag_layers" },
        { Valid with { PagScale = 2, PagLayers = [1, 1] }, "pag_layers" },
        { Valid with { Prompt = new string('a', GenerationLimits.MaxPromptChars + 1) }, "prompt" },
        { Valid with { Prompt = "bad \ud800 surrogate" }, "prompt" },
        { Valid with { NegativePrompt = "nul \0" }, "negative_prompt" },
        { Valid with { FlowShift = 0 }, "flow_shift" },
        { Valid with { Sampler = (SamplerKind)7 }, "scheduler" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_bad_field_is_named_in_the_error(GenerationSettings settings, string field)
    {
        var e = Assert.Throws<GenerationRequestException>(() => GenerationLimits.Validate(settings, Model));
        Assert.Equal(field, e.Field);
        Assert.StartsWith(field + ": ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Emoji_and_cjk_prompts_are_valid_unicode() =>
        GenerationLimits.Validate(Valid with { Prompt = "猫 🚀 café" }, Model);
}
