using System.CommandLine;
using Sana.Orleans.Silo.Hosting;

namespace Sana.Cli.Commands;

/// <summary>
/// `sana silo [--Sana:Section:Key=value ...]`: runs a silo until stopped. Configuration comes from appsettings.json
/// beside the binary, the environment (Sana__Silo__Name=...) and these arguments; see src/Sana.Orleans.Silo.
/// </summary>
internal static class SiloCommand
{
    public static Command Create()
    {
        var command = new Command("silo", "Run a Sana silo (GPU workers, jobs, dashboard, /health) until stopped. Settings: --Sana:Silo:Name=..., --Sana:Cluster:Clustering=AzureTable, ...")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((parse, cancellationToken) => SanaSilo.RunAsync([.. parse.UnmatchedTokens], Console.Out, cancellationToken: cancellationToken));
        return command;
    }
}
