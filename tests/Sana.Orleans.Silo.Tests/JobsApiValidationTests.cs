using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Sana.Orleans.Client;
using Sana.Orleans.Jobs;
using Sana.Orleans.Silo.Api;
using static Sana.Orleans.Silo.Tests.ApiHttp;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// Every bad field of a submission over HTTP: 400 naming the field, and nothing stored. Values the grains judge answer
/// exactly the message the in-silo .NET client gets for the same request; shapes only JSON can get wrong (types, unknown
/// or repeated fields, syntax) answer the reader's own message, which names the field too.
/// </summary>
[Collection(ApiSiloCollection.Name)]
public sealed class JobsApiValidationTests(ApiSiloFixture fixture)
{
    private const string Ok = "\"prompt\":\"p\",\"width\":64,\"height\":64,\"steps\":1";

    /// <summary>A body, the field it gets wrong, and the same request for the .NET client.</summary>
    private static readonly Dictionary<string, (string Json, string Field, ImageJobRequest Request)> GrainCases = new()
    {
        ["width"] = ($$"""{"prompt":"p","width":1000,"height":64}""", "width", new() { Prompt = "p", Width = 1000, Height = 64 }),
        ["height"] = ($$"""{"prompt":"p","width":64,"height":0}""", "height", new() { Prompt = "p", Width = 64, Height = 0 }),
        ["count-zero"] = ($$"""{{{Ok}},"count":0}""", "count", Flat() with { Count = 0 }),
        ["count-huge"] = ($$"""{{{Ok}},"count":2000000000}""", "count", Flat() with { Count = 2_000_000_000 }),
        ["steps"] = ($$"""{"prompt":"p","width":64,"height":64,"steps":1001}""", "steps", Flat() with { Steps = 1001 }),
        ["guidance"] = ($$"""{{{Ok}},"guidance_scale":-1}""", "guidance_scale", Flat() with { GuidanceScale = -1 }),
        ["pag-scale"] = ($$"""{{{Ok}},"pag_scale":101}""", "pag_scale", Flat() with { PagScale = 101 }),
        ["flow-shift"] = ($$"""{{{Ok}},"flow_shift":0}""", "flow_shift", Flat() with { FlowShift = 0 }),
        ["pag-layer-range"] = ($$"""{{{Ok}},"pag_scale":1,"pag_layers":[5]}""", "pag_layers", Flat() with { PagScale = 1, PagLayers = [5] }),
        ["pag-layer-none"] = ($$"""{{{Ok}},"pag_scale":1,"pag_layers":[]}""", "pag_layers", Flat() with { PagScale = 1, PagLayers = [] }),
        ["pag-layer-twice"] = ($$"""{{{Ok}},"pag_layers":[0,0]}""", "pag_layers", Flat() with { PagLayers = [0, 0] }),
        ["prompt-empty"] = ("""{"prompt":" ","width":64,"height":64}""", "prompt", Flat() with { Prompt = " " }),
        ["prompt-missing"] = ("""{"width":64,"height":64}""", "prompt", Flat() with { Prompt = "" }),
        ["prompt-nul"] = ("""{"prompt":"a\u0000b","width":64,"height":64}""", "prompt", Flat() with { Prompt = "a\0b" }),
        ["prompt-surrogate"] = ("""{"prompt":"a\ud800b","width":64,"height":64}""", "prompt", Flat() with { Prompt = "a\ud800b" }),
        ["negative-long"] = ($$"""{{{Ok}},"negative_prompt":"{{new string('n', 20_001)}}"}""", "negative_prompt", Flat() with { NegativePrompt = new string('n', 20_001) }),
        ["model"] = ($$"""{{{Ok}},"model":"sana-9000"}""", "model", Flat() with { Model = "sana-9000" }),
    };

    /// <summary>A body and the field and message the reader answers for it.</summary>
    private static readonly Dictionary<string, (string Json, string Field, string Error)> ShapeCases = new()
    {
        ["empty"] = ("", "request", "request: is missing"),
        ["list"] = ("[1,2]", "request", "request: must be a JSON object, not a list"),
        ["prompt-number"] = ("""{"prompt":5}""", "prompt", "prompt: must be a string, not a number"),
        ["count-string"] = ($$"""{{{Ok}},"count":"4"}""", "count", "count: must be a whole number, not a string"),
        ["count-fraction"] = ($$"""{{{Ok}},"count":1.5}""", "count", "count: 1.5 is not a whole number in -2147483648..2147483647"),
        ["width-huge"] = ("""{"prompt":"p","width":99999999999}""", "width", "width: 99999999999 is not a whole number in -2147483648..2147483647"),
        ["guidance-string"] = ($$"""{{{Ok}},"guidance_scale":"high"}""", "guidance_scale", "guidance_scale: must be a number, not a string"),
        ["guidance-infinite"] = ($$"""{{{Ok}},"guidance_scale":1e400}""", "guidance_scale", "guidance_scale: 1e400 is not a finite number"),
        ["layers-number"] = ($$"""{{{Ok}},"pag_layers":3}""", "pag_layers", "pag_layers: must be a list of whole numbers, not a number"),
        ["layers-item"] = ($$"""{{{Ok}},"pag_layers":[0,"1"]}""", "pag_layers", "pag_layers: item 1: must be a whole number, not a string"),
        ["scheduler"] = ($$"""{{{Ok}},"scheduler":"ddim"}""", "scheduler", "scheduler: 'ddim' is not dpm or euler"),
        ["seed-negative"] = ($$"""{{{Ok}},"seed":-1}""", "seed", "seed: -1 is not a whole number in 0..18446744073709551615 (a number, or a string of digits)"),
        ["seed-text"] = ($$"""{{{Ok}},"seed":"12x"}""", "seed", "seed: '12x' is not a whole number in 0..18446744073709551615 (a number, or a string of digits)"),
        ["seed-bool"] = ($$"""{{{Ok}},"seed":true}""", "seed", "seed: must be a whole number in 0..18446744073709551615 (a number, or a string of digits), not true/false"),
        ["job-id-number"] = ($$"""{{{Ok}},"job_id":7}""", "job_id", "job_id: must be a string, not a number"),
        ["unknown"] = ($$"""{{{Ok}},"colour":"red"}""", "colour", $"colour: is not a field of a job request (the fields: {string.Join(", ", JobRequestReader.Fields)})"),
        ["unknown-long"] = ($$"""{{{Ok}},"{{new string('x', 100)}}":1}""", new string('x', 64) + "...", $"{new string('x', 64)}...: is not a field of a job request (the fields: {string.Join(", ", JobRequestReader.Fields)})"),
        ["twice"] = ("""{"prompt":"p","prompt":"q"}""", "prompt", "prompt: is given twice"),
    };

    /// <summary>Syntax errors: the field whose value they are in, and the reader's position in the message.</summary>
    private static readonly Dictionary<string, (string Json, string Field)> SyntaxCases = new()
    {
        ["not-json"] = ("not json", "request"),
        ["bad-number"] = ($$"""{{{Ok}},"count":4x}""", "count"),
        ["two-values"] = ("""{"prompt":"p"} {"prompt":"q"}""", "request"),
        ["unclosed"] = ("""{"prompt":"p",""", "request"),
    };

    public static TheoryData<string> GrainCaseNames => [.. GrainCases.Keys];

    public static TheoryData<string> ShapeCaseNames => [.. ShapeCases.Keys];

    public static TheoryData<string> SyntaxCaseNames => [.. SyntaxCases.Keys];

    private static ImageJobRequest Flat() => new() { Prompt = "p", Width = 64, Height = 64, Steps = 1 };

    [Theory]
    [MemberData(nameof(GrainCaseNames))]
    public async Task A_value_the_grains_refuse_is_400_with_their_exact_message_and_nothing_is_stored(string name)
    {
        var (json, field, request) = GrainCases[name];
        var client = fixture.Silo.App.Services.GetRequiredService<ISanaClient>();
        var expected = await Assert.ThrowsAsync<JobRequestException>(() => client.SubmitAsync(request, $"bad-client-{name}"));
        Assert.Equal(field, expected.Field);
        var jobId = $"bad-http-{name}";

        var (actualField, error) = await SubmitRejectedAsync(json.Insert(1, $"\"job_id\":\"{jobId}\","));

        Assert.Equal(field, actualField);
        Assert.Equal(expected.Message, error);
        using var http = HttpTo(fixture.Silo);
        await GetJsonAsync(http, $"/api/jobs/{jobId}", HttpStatusCode.NotFound);
        Assert.DoesNotContain(jobId, fixture.StoredJobs());
    }

    [Theory]
    [MemberData(nameof(ShapeCaseNames))]
    public async Task A_body_of_the_wrong_shape_is_400_naming_the_field(string name)
    {
        var (json, field, message) = ShapeCases[name];
        Assert.Equal((field, message), await SubmitRejectedAsync(json));
    }

    [Theory]
    [MemberData(nameof(SyntaxCaseNames))]
    public async Task Json_that_does_not_parse_is_400_naming_the_field_it_broke_in(string name)
    {
        var (json, field) = SyntaxCases[name];
        var (actualField, error) = await SubmitRejectedAsync(json);
        Assert.Equal(field, actualField);
        Assert.StartsWith($"{field}: invalid JSON: ", error, StringComparison.Ordinal);
        Assert.Contains("BytePositionInLine", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public async Task A_blank_job_id_gets_the_grains_own_words_for_a_job_id_they_cannot_take(string blank)
    {
        // Orleans takes no blank grain key and the in-silo client makes a fresh id for one, so the API says it itself,
        // in the words the grains use for any id they refuse.
        var client = fixture.Silo.App.Services.GetRequiredService<ISanaClient>();
        var refused = await Assert.ThrowsAsync<JobRequestException>(() => client.SubmitAsync(Flat(), ".refused"));

        var answer = await SubmitRejectedAsync($$"""{{{Ok}},"job_id":"{{blank}}"}""");

        Assert.Equal(("job_id", refused.Message.Replace("'.refused'", $"'{blank}'", StringComparison.Ordinal)), answer);
    }

    [Fact]
    public async Task Text_that_is_not_utf8_is_400_naming_its_field()
    {
        using var http = HttpTo(fixture.Silo);
        byte[] body = [.. "{\"prompt\":\"a"u8, 0xC3, 0x28, .. "\"}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await http.PostAsync(new Uri("/api/jobs", UriKind.Relative), content);

        Assert.Equal(("prompt", "prompt: is not valid UTF-8 text"), await ErrorOf(response, HttpStatusCode.BadRequest));
    }

    /// <summary>Posts a body that must be refused: 400, and no job folder appears in the image store.</summary>
    private async Task<(string? Field, string Error)> SubmitRejectedAsync(string json)
    {
        using var http = HttpTo(fixture.Silo);
        var before = fixture.StoredJobs();
        using var response = await PostJsonAsync(http, "/api/jobs", json);
        var error = await ErrorOf(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, fixture.StoredJobs());
        return error;
    }
}
