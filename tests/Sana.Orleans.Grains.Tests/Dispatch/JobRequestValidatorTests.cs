using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Jobs;
using Sana.Orleans.Jobs;

namespace Sana.Orleans.Grains.Tests.Dispatch;

public sealed class JobRequestValidatorTests
{
    private static readonly GpuDescriptor[] Gpus = [new("s/gpu0", "s", "cpu", "tiny", 32, 2, 2)];
    private static readonly ImageJobRequest Good = new() { Prompt = "a red fox", Count = 4, Width = 64, Height = 96, Steps = 4 };

    public static TheoryData<string, ImageJobRequest, string> BadRequests => new()
    {
        { "job", Good with { Count = 0 }, "count" },
        { "job", Good with { Count = 1_000_000 }, "count" },
        { "job", Good with { Width = 100 }, "width" },
        { "job", Good with { Height = 0 }, "height" },
        { "job", Good with { Width = 16384 }, "width" },
        { "job", Good with { Steps = 0 }, "steps" },
        { "job", Good with { Steps = 100_000 }, "steps" },
        { "job", Good with { GuidanceScale = double.NaN }, "guidance_scale" },
        { "job", Good with { PagScale = double.PositiveInfinity }, "pag_scale" },
        { "job", Good with { PagScale = 2, PagLayers = [5] }, "pag_layers" },
        { "job", Good with { Prompt = "" }, "prompt" },
        { "job", Good with { Prompt = new string('x', 30_000) }, "prompt" },
        { "job", Good with { Prompt = "bad \ud800 surrogate" }, "prompt" },
        { "job", Good with { FlowShift = -1 }, "flow_shift" },
        { "job", Good with { Sampler = (JobSampler)7 }, "scheduler" },
        { "job", Good with { Model = "other" }, "model" },
        { "../escape", Good, "job_id" },
        { "", Good, "job_id" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void A_bad_request_is_rejected_with_an_error_naming_the_field(string jobId, ImageJobRequest request, string field)
    {
        var e = Assert.Throws<JobRequestException>(() => JobRequestValidator.Validate(jobId, request, Gpus, new SanaGrainsOptions()));
        Assert.Equal(field, e.Field);
        Assert.StartsWith(field + ":", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_good_request_resolves_the_model_the_gpus_serve()
    {
        Assert.Equal("tiny", JobRequestValidator.Validate("job-1", Good, Gpus, new SanaGrainsOptions()));
    }

    [Fact]
    public void Seeds_wrap_at_two_to_the_64()
    {
        var request = Good with { Seed = ulong.MaxValue };
        Assert.Equal(ulong.MaxValue, request.SeedOf(0));
        Assert.Equal(0UL, request.SeedOf(1));
    }

    [Theory]
    [InlineData("Primary/gpu0", "Primary", 0)]
    [InlineData("host/with/slash/gpu12", "host/with/slash", 12)]
    public void Gpu_keys_name_their_silo_and_device(string key, string silo, int index)
    {
        Assert.True(GpuKey.TryParse(key, out var s, out var i));
        Assert.Equal((silo, index), (s, i));
        Assert.Equal(key, GpuKey.Format(silo, index));
    }

    [Theory]
    [InlineData("gpu0")]
    [InlineData("/gpu0")]
    [InlineData("Primary/gpuX")]
    [InlineData("Primary/cpu0")]
    public void Malformed_gpu_keys_are_refused(string key) => Assert.False(GpuKey.TryParse(key, out _, out _));
}
