using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sana.TestSupport;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Jobs;
using Sana.Orleans.Silo.Security;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// TLS on by configuration, with a self-signed certificate this test makes: two silos and a client form a cluster
/// over TLS and run a job; a client without TLS cannot join; the certificate password never reaches the logs.
/// </summary>
public sealed class TlsClusterTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Two_tls_silos_and_a_tls_client_run_a_job_and_a_client_without_tls_cannot_join()
    {
        using var certificates = new TestCertificates();
        var logs = new CapturedLogs();
        var ports = LoopbackPorts.Free(4);
        var settings = certificates.Settings();
        settings["Logging:LogLevel:Default"] = "Debug";
        await using var first = await TestSilo.StartAsync("tls-a", settings, ports[0], ports[1], h => h.Logging.AddProvider(logs));
        var second = new Dictionary<string, string>(settings) { ["Sana:Silo:PrimarySiloPort"] = ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture) };
        await using var other = await TestSilo.StartAsync("tls-b", second, ports[2], ports[3], h => h.Logging.AddProvider(logs));

        using (var client = await StartClientAsync([ports[1], ports[3]], SanaTls.Read(Config(settings)), logs))
        {
            var sana = client.Services.GetRequiredService<ISanaClient>();
            await client.Services.GetRequiredService<IGrainFactory>().GetGrain<IGpuDirectoryGrain>(IGpuDirectoryGrain.Key).WaitForGpus(4).WaitAsync(Bound);
            var gpus = await sana.ListGpusAsync();
            Assert.Equal(["tls-a/gpu0", "tls-a/gpu1", "tls-b/gpu0", "tls-b/gpu1"], gpus.Select(g => g.GpuId).Order());

            var jobId = await sana.SubmitAsync(new ImageJobRequest { Prompt = "over tls", Count = 8, Width = 64, Height = 64, Steps = 1, Seed = 9 }, "tls-job");
            var seen = await sana.WatchAsync(jobId).ToListAsync().AsTask().WaitAsync(Bound);
            Assert.Equal(Enumerable.Range(0, 8), seen.Select(p => p.Image.Index).Order());
            var problems = string.Join("\n", logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.ToString()));
            Assert.True(problems.Length == 0 || !problems.Contains("chunk", StringComparison.OrdinalIgnoreCase), problems);
            await client.StopAsync();
        }

        var plain = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var client = await StartClientAsync([ports[1], ports[3]], new SanaTlsOptions(), logs, TimeSpan.FromSeconds(20));
            await client.Services.GetRequiredService<ISanaClient>().ListGpusAsync().WaitAsync(TimeSpan.FromSeconds(20));
        });
        Assert.IsNotType<Xunit.Sdk.XunitException>(plain);

        Assert.DoesNotContain(certificates.Password, logs.AllText(), StringComparison.Ordinal);
        Assert.NotEmpty(logs.Entries);
    }

    [Fact]
    public async Task Tls_without_a_certificate_source_is_a_configuration_error_naming_the_keys()
    {
        using var output = new StringWriter();
        var code = await Hosting.SanaSilo.RunAsync(["--Sana:Tls:Enabled=true"], output);
        Assert.Equal(2, code);
        Assert.Contains("Sana:Tls:CertificatePath, Sana:Tls:Thumbprint, Sana:Tls:Subject", output.ToString(), StringComparison.Ordinal);
    }

    private static IConfiguration Config(Dictionary<string, string> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings!).Build();

    private static async Task<IHost> StartClientAsync(int[] gateways, SanaTlsOptions tls, CapturedLogs logs, TimeSpan? bound = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSanaClient(
            o =>
            {
                foreach (var port in gateways)
                {
                    o.GatewayPorts.Add(port);
                }
            },
            client => client.UseSanaTls(tls));
        var host = builder.Build();
        try
        {
            await host.StartAsync().WaitAsync(bound ?? Bound);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
