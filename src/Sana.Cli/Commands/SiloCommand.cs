using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Sana.Orleans.Silo.Hosting;

namespace Sana.Cli.Commands;

/// <summary>
/// `sana silo [--Sana:Section:Key=value ...]`: runs a silo until stopped. Configuration comes from appsettings.json
/// beside the binary, the environment (Sana__Silo__Name=...) and these arguments; see src/Sana.Orleans.Silo.
/// </summary>
internal static class SiloCommand
{
    private const string Description = "Run a Sana silo (GPU workers, jobs, dashboard, /health) until stopped.";

    /// <summary>The settings an operator sets first; every key is in src/Sana.Orleans.Silo/Options and docs/operations.md.</summary>
    private static readonly (string Key, string Meaning)[] MainSettings =
    [
        ("Sana:Silo:Name", "this silo's name, unique in the cluster; its GPU grains are NAME/gpuN (default: the machine name)"),
        ("Sana:Silo:SiloPort, GatewayPort, PrimarySiloPort", "silo-to-silo, client and (localhost clustering) primary ports (11111, 30000, 11111)"),
        ("Sana:Silo:AdvertisedAddress, ListenOnAnyAddress", "the address other machines reach this silo at, and binding 0.0.0.0"),
        ("Sana:Silo:HttpAddress, HttpPort", "dashboard, /gpus, /metrics and /health (127.0.0.1:8080)"),
        ("Sana:Cluster:Clustering", "Localhost (one machine) or AzureTable, with Sana:Cluster:ClusterId and ConnectionString or TableServiceUri"),
        ("Sana:ModelPath", "the exported model folder, or a blob folder URL the silo downloads and checks"),
        ("Sana:Workers:Devices:N", "the workers: cuda:0, cuda:1, ... or cpu (default: every NVIDIA GPU, else CpuWorkers CPU workers)"),
        ("Sana:Workers:MicroBatch", "images per transformer call (0: sized from free GPU memory)"),
        ("Sana:Workers:TransformerGraph", "Auto, Portable or Kernels"),
        ("Sana:ImageStore:Kind", "File (with Path) or AzureBlob (with ConnectionString or ServiceUri and Container)"),
        ("Sana:Tls:Enabled", "TLS between silos and clients (Sana:Tls:CertificatePath, TrustedCaPath, ...)"),
    ];

    public static Command Create()
    {
        var command = new Command("silo", Description)
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((parse, cancellationToken) => SanaSilo.RunAsync([.. parse.UnmatchedTokens], Console.Out, cancellationToken: cancellationToken));
        return command;
    }

    /// <summary>
    /// `sana silo --help` lists the settings the silo takes: the parser's generic help knows only that the command
    /// passes its arguments on.
    /// </summary>
    public static void UseSettingsHelp(RootCommand root)
    {
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            help.Action = new SettingsHelpAction(help.Action);
        }
    }

    private static void WriteHelp(TextWriter writer)
    {
        writer.WriteLine("Description:");
        writer.WriteLine($"  {Description}");
        writer.WriteLine();
        writer.WriteLine("Usage:");
        writer.WriteLine("  sana silo [--Sana:Section:Key=VALUE ...]");
        writer.WriteLine();
        writer.WriteLine("Settings come from appsettings.json beside the binary, Sana__Section__Key environment variables and");
        writer.WriteLine("--Sana:Section:Key=VALUE arguments, later ones winning. The main ones:");
        var width = MainSettings.Max(s => s.Key.Length) + 2;
        foreach (var (key, meaning) in MainSettings)
        {
            writer.WriteLine($"  {key.PadRight(width)}{meaning}");
        }

        writer.WriteLine();
        writer.WriteLine("Every setting, with its default: src/Sana.Orleans.Silo/Options (and Sana:Grains: src/Sana.Orleans.Grains/Hosting),");
        writer.WriteLine("described in docs/operations.md. SIGTERM or Ctrl+C stops the silo gracefully (its running chunks finish or go back).");
    }

    private sealed class SettingsHelpAction(CommandLineAction? general) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            if (parseResult.CommandResult.Command.Name == "silo")
            {
                WriteHelp(parseResult.InvocationConfiguration.Output);
                return ExitCodes.Success;
            }

            return general switch
            {
                SynchronousCommandLineAction action => action.Invoke(parseResult),
                AsynchronousCommandLineAction action => action.InvokeAsync(parseResult).GetAwaiter().GetResult(),
                _ => ExitCodes.Success,
            };
        }
    }
}
