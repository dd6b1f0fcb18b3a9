using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Sana.Cli.Cluster;
using Sana.Orleans.Client;

namespace Sana.Cli.Commands;

/// <summary>`sana workers --cluster ...`: every GPU worker of a running cluster with its load, one line each.</summary>
internal static class WorkersCommand
{
    public static Command Create()
    {
        var cluster = new Option<string>("--cluster") { Description = "localhost[:PORT,...], an Azure Storage connection string or a table endpoint URI.", DefaultValueFactory = _ => "localhost" };
        var clusterId = new Option<string>("--cluster-id") { Description = "The cluster id to join.", DefaultValueFactory = _ => "sana" };
        var command = new Command("workers", "List the GPU workers of a running cluster with their load.") { cluster, clusterId };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(cluster)!, parse.GetValue(clusterId)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string address, string clusterId, CancellationToken cancellationToken)
    {
        var (connected, failure) = await ClusterClient.ConnectAsync("workers", address, clusterId, cancellationToken).ConfigureAwait(false);
        if (connected is not { } host)
        {
            return failure;
        }

        using (host)
        {
            var gpus = await host.Services.GetRequiredService<ISanaClient>().ListGpusAsync(cancellationToken).ConfigureAwait(false);
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine("GPU                  DEVICE    MODEL            HEALTH     BUSY  QUEUE  CAPACITY  IMAGES/S  DONE");
            foreach (var g in gpus)
            {
                Console.WriteLine(string.Create(inv,
                    $"{g.GpuId,-20} {g.Device,-9} {g.ModelName,-16} {g.Health,-10} {(g.Busy ? "yes" : "no"),-5} {g.Queued,5}  {g.Capacity,8}  {g.ImagesPerSecond,8:F2}  {g.ImagesDone,4}{(g.Error is { } e ? "  " + e : "")}"));
            }

            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return ExitCodes.Success;
        }
    }
}
