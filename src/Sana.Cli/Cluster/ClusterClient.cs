using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
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

    /// <summary>
    /// A started client host for `sana COMMAND`; when the address is bad or the cluster cannot be reached, null with
    /// the command's one line printed and the exit code it ends with.
    /// </summary>
    public static async Task<(IHost? Host, int FailureCode)> ConnectAsync(string command, string address, string clusterId, CancellationToken cancellationToken)
    {
        IHost host;
        try
        {
            host = Build(address, clusterId);
        }
        catch (Exception e) when (e is FormatException or OptionsValidationException)
        {
            var problem = e is OptionsValidationException invalid ? string.Join("; ", invalid.Failures) : "--" + e.Message;
            await Console.Error.WriteLineAsync($"sana {command}: {problem}").ConfigureAwait(false);
            return (null, ExitCodes.BadInput);
        }

        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            return (host, ExitCodes.Success);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            host.Dispose();
            await Console.Error.WriteLineAsync($"sana {command}: cannot reach the cluster '{clusterId}' at {address}: {e.Message}").ConfigureAwait(false);
            return (null, ExitCodes.Failure);
        }
    }

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
