using Sana.Inference.Pipeline;

namespace Sana.Inference.Tests.Pipeline;

public sealed class GuidancePlanTests
{
    private static GenerationSettings Settings(double guidance, double pag) =>
        new() { Prompt = "x", GuidanceScale = guidance, PagScale = pag };

    [Theory]
    [InlineData(1.0, 0.0, new[] { GuidanceBranch.Conditional })]
    [InlineData(0.5, 0.0, new[] { GuidanceBranch.Conditional })]
    [InlineData(4.5, 0.0, new[] { GuidanceBranch.Unconditional, GuidanceBranch.Conditional })]
    [InlineData(1.0, 3.0, new[] { GuidanceBranch.Conditional, GuidanceBranch.Perturbed })]
    [InlineData(4.5, 3.0, new[] { GuidanceBranch.Unconditional, GuidanceBranch.Conditional, GuidanceBranch.Perturbed })]
    internal void Batch_layout_follows_diffusers(double guidance, double pag, GuidanceBranch[] expected) =>
        Assert.Equal(expected, new GuidancePlan(Settings(guidance, pag)).Branches);

    [Fact]
    public void Cfg_and_pag_combine_in_torch_operation_order()
    {
        // n = 1 image, 1 channel, 2 pixels; batch [u, c, p].
        float[] prediction = [1f, 2f, 3f, 5f, 2f, 1f];
        var velocity = new float[2];
        new GuidancePlan(Settings(4.5, 3.0)).Combine(prediction, n: 1, outChannels: 1, channels: 1, plane: 2, velocity);
        Assert.Equal(1f + (4.5f * (3f - 1f)) + (3f * (3f - 2f)), velocity[0]);
        Assert.Equal(2f + (4.5f * (5f - 2f)) + (3f * (5f - 1f)), velocity[1]);
    }

    [Fact]
    public void Without_guidance_the_conditional_prediction_passes_through_and_learned_sigma_is_dropped()
    {
        // out channels 2 (learned sigma) for 1 latent channel, 2 images, plane 1.
        float[] prediction = [7f, 100f, 8f, 200f];
        var velocity = new float[2];
        new GuidancePlan(Settings(1.0, 0)).Combine(prediction, n: 2, outChannels: 2, channels: 1, plane: 1, velocity);
        Assert.Equal([7f, 8f], velocity);
    }

    [Fact]
    public void Pag_without_cfg_pushes_away_from_the_perturbed_prediction()
    {
        float[] prediction = [2f, 1f]; // [c, p]
        var velocity = new float[1];
        new GuidancePlan(Settings(1.0, 2.0)).Combine(prediction, n: 1, outChannels: 1, channels: 1, plane: 1, velocity);
        Assert.Equal(2f + (2f * (2f - 1f)), velocity[0]);
    }
}
