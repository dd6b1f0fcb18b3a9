using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Sana.Orleans.Silo.Security;
using Sana.Orleans.Client;

namespace Sana.Cli.Cluster;

/// <summary>
/// A client host connected to a running cluster (`--cluster`): Orleans client plus ISanaClient. A command line gives
/// up on connecting after <see cref="ConnectTimeout"/> instead of retrying forever as a long-lived service would.
/// </summary>
internal static class ClusterClient
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(20);

    public static IHost Build(string address, string clusterId, bool verbose = false)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // TLS settings (Sana__Tls__Enabled, Sana__Tls__CertificatePath, ...) come from the environment, like a silo's.
        builder.Configuration.AddEnvironmentVariables();
        var tls = SanaTls.Read(builder.Configuration);
        QuietConsoleLogging.Apply(builder.Logging, verbose);
        var deadline = DateTimeOffset.UtcNow + ConnectTimeout;
        builder.Services.AddSanaClient(
            o => ClusterAddress.Apply(address, clusterId, o),
            client => client.UseSanaTls(tls).UseConnectionRetryFilter(async (_, cancellationToken) =>
            {
                if (DateTimeOffset.UtcNow >= deadline)
                {
                    return false;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                return true;
            }));
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        return builder.Build();
    }
}
