using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Sana.Cli.Cluster;
using Sana.Orleans.Client;
using Sana.Orleans.Jobs;

namespace Sana.Cli.Commands;

/// <summary>
/// `sana cancel --job-id ID --cluster ...`: cancels a job on a running cluster (what Ctrl+C of a `sana generate
/// --cluster` leaves running) and prints how many of its images were stored.
/// </summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var jobId = new Option<string>("--job-id") { Description = "The job to cancel.", Required = true };
        var cluster = new Option<string>("--cluster") { Description = "localhost[:PORT,...], an Azure Storage connection string or a table endpoint URI.", DefaultValueFactory = _ => "localhost" };
        var clusterId = new Option<string>("--cluster-id") { Description = "The cluster id to join.", DefaultValueFactory = _ => "sana" };
        var command = new Command("cancel", "Cancel a job on a running cluster; the images it stored stay.") { jobId, cluster, clusterId };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(jobId)!, parse.GetValue(cluster)!, parse.GetValue(clusterId)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string jobId, string address, string clusterId, CancellationToken cancellationToken)
    {
        var (connected, failure) = await ClusterClient.ConnectAsync("cancel", address, clusterId, cancellationToken).ConfigureAwait(false);
        if (connected is not { } host)
        {
            return failure;
        }

        using (host)
        {
            try
            {
                var client = host.Services.GetRequiredService<ISanaClient>();
                var before = await client.GetStatusAsync(jobId, cancellationToken).ConfigureAwait(false);
                if (before.State == JobState.None)
                {
                    Console.Error.WriteLine($"sana cancel: --job-id: no job '{jobId}' on cluster '{clusterId}'");
                    return ExitCodes.BadInput;
                }

                var status = before.IsFinished ? before : await client.CancelAsync(jobId, cancellationToken).ConfigureAwait(false);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"sana: job {jobId} {(before.IsFinished ? "had already ended" : "is")} {status.State.ToString().ToLowerInvariant()} with {status.Completed}/{status.Total} image(s) stored"));
                return ExitCodes.Success;
            }
            catch (JobRequestException e)
            {
                Console.Error.WriteLine($"sana cancel: {CommandLineException.FromField(e.Field, e.Message).Message}");
                return ExitCodes.BadInput;
            }
            finally
            {
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
