using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Sana.Orleans.Client;
using Sana.TestSupport;
using Sana.Orleans.Silo.Hosting;

namespace Sana.Orleans.Silo.Tests;

public sealed class SiloConfigurationTests
{
    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var code = await SanaSilo.RunAsync(args, output, cancellationToken: stop.Token);
        return (code, output.ToString());
    }

    [Fact]
    public async Task Bad_silo_settings_stop_the_start_and_name_every_key()
    {
        var (code, output) = await RunAsync("--Sana:Silo:Name=a/b", "--Sana:Silo:SiloPort=70000", "--Sana:Silo:HttpAddress=localhost-ish");

        Assert.Equal(2, code);
        Assert.Contains("Sana:Silo:Name: 'a/b'", output, StringComparison.Ordinal);
        Assert.Contains("Sana:Silo:SiloPort: 70000", output, StringComparison.Ordinal);
        Assert.Contains("Sana:Silo:HttpAddress: 'localhost-ish'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cuda_provider_option_that_cannot_be_set_stops_the_start_naming_it()
    {
        var (code, output) = await RunAsync("--Sana:Workers:CudaProviderOptions:prefer_nwhc=0");

        Assert.Equal(2, code);
        Assert.Contains("Sana:Workers:CudaProviderOptions: 'prefer_nwhc' is not a CUDA provider option that can be set here", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azure_table_clustering_without_a_connection_is_a_configuration_error()
    {
        var (code, output) = await RunAsync("--Sana:Cluster:Clustering=AzureTable");

        Assert.Equal(2, code);
        Assert.Contains("Sana:Cluster:ConnectionString or Sana:Cluster:TableServiceUri", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_reads_the_live_gateways_every_10_s_unless_configured_and_an_absurd_period_is_named()
    {
        static TimeSpan RefreshOf(Action<SanaClusterOptions> configure)
        {
            using var provider = new ServiceCollection().AddSanaClient(configure).BuildServiceProvider();
            return provider.GetRequiredService<IOptions<GatewayOptions>>().Value.GatewayListRefreshPeriod;
        }

        Assert.Equal(TimeSpan.FromSeconds(10), RefreshOf(_ => { }));
        Assert.Equal(TimeSpan.FromSeconds(3), RefreshOf(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(3)));
        var problems = SanaClusterOptionsValidator.Problems(new SanaClusterOptions { GatewayListRefreshPeriod = TimeSpan.Zero });
        Assert.Equal(["Sana:Cluster:GatewayListRefreshPeriod: 00:00:00 is outside 00:00:01..01:00:00"], problems);
    }

    [Fact]
    public async Task A_missing_model_folder_is_reported_at_start_by_its_key()
    {
        var ports = LoopbackPorts.Free(3);
        var (code, output) = await RunAsync(
            "--Sana:ModelPath=/nonexistent/model", "--Sana:Workers:DiscoverGpus=false",
            $"--Sana:Silo:SiloPort={ports[0]}", $"--Sana:Silo:PrimarySiloPort={ports[0]}", $"--Sana:Silo:GatewayPort={ports[1]}",
            $"--Sana:Silo:HttpPort={ports[2]}");

        Assert.Equal(2, code);
        Assert.Contains("Sana:ModelPath: the model folder '/nonexistent/model' does not exist", output, StringComparison.Ordinal);
    }
}
