using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using Sana.Orleans.Silo.Hosting;

namespace Sana.Orleans.Silo.Tests;

/// <summary>The silo's HTTP surface: loopback and open by default; anywhere else only with protection, which it enforces.</summary>
public sealed class HttpAccessTests
{
    private const string ApiKey = "k3y-0f-the-silo-4-tests-0123456789";
    private const string Password = "pa55-w0rd-n0t-in-l0gs";

    [Fact]
    public async Task A_non_loopback_http_address_without_protection_is_refused_at_start()
    {
        using var output = new StringWriter();
        var code = await SanaSilo.RunAsync(["--Sana:Silo:HttpAddress=0.0.0.0"], output);

        Assert.Equal(2, code);
        Assert.Contains("Sana:Silo:HttpAddress: '0.0.0.0' is not loopback", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Sana:Silo:HttpAccess:ApiKey", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_protected_silo_answers_only_with_the_api_key_or_basic_credentials_and_never_logs_them()
    {
        var logs = new CapturedLogs();
        await using var silo = await TestSilo.StartAsync("guarded", new Dictionary<string, string>
        {
            ["Sana:Silo:HttpAccess:ApiKey"] = ApiKey,
            ["Sana:Silo:HttpAccess:BasicUser"] = "ops",
            ["Sana:Silo:HttpAccess:BasicPassword"] = Password,
            ["Logging:LogLevel:Default"] = "Trace",
        }, configureHost: h => h.Logging.AddProvider(logs));
        using var http = new HttpClient { BaseAddress = silo.HttpAddress };

        foreach (var path in new[] { "/metrics", "/gpus", "/api/gpus", "/api/gpus/history", "/health", "/dashboard/" })
        {
            using var anonymous = await http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

            using var wrong = new HttpRequestMessage(HttpMethod.Get, path);
            wrong.Headers.Add("X-Sana-Api-Key", ApiKey + "x");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);

            using var keyed = new HttpRequestMessage(HttpMethod.Get, path);
            keyed.Headers.Add("X-Sana-Api-Key", ApiKey);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(keyed)).StatusCode);

            using var basic = new HttpRequestMessage(HttpMethod.Get, path);
            basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:" + Password)));
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(basic)).StatusCode);
        }

        var text = logs.AllText();
        Assert.NotEmpty(logs.Entries);
        Assert.DoesNotContain(ApiKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
    }
}
