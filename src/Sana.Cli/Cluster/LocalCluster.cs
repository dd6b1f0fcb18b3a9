using Microsoft.Extensions.DependencyInjection;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Sana.Inference.Pipeline;
using Sana.Orleans.Silo.Hosting;

namespace Sana.Cli.Cluster;

/// <summary>
/// The whole system in this process: one silo with this machine's GPUs (or CPU workers), the model, and a file image
/// store at the output folder. It runs on free loopback ports under its own cluster id, so it never joins (or
/// disturbs) a cluster already running on the machine.
/// </summary>
internal static class LocalCluster
{
    /// <summary>The in-process silo's name; its GPU grains are "local/gpu{n}".</summary>
    public const string SiloName = "local";

    /// <summary>The in-process silo; cudaOptions (checked already) become its GPU workers' Sana:Workers:CudaProviderOptions.</summary>
    public static IHost Build(string modelPath, string devices, int microBatch, string outputFolder, bool verbose,
        IReadOnlyDictionary<string, string>? cudaOptions = null, TransformerGraphPreference transformerGraph = TransformerGraphPreference.Auto)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var settings = new Dictionary<string, string?>
        {
            ["Sana:ModelPath"] = modelPath,
            ["Sana:Workers:MicroBatch"] = microBatch.ToString(CultureInfo.InvariantCulture),
            ["Sana:ImageStore:Kind"] = "File",
            ["Sana:ImageStore:Path"] = outputFolder,
            ["Sana:Silo:Name"] = SiloName,
            ["Sana:Silo:SiloPort"] = FreePort(),
            ["Sana:Silo:GatewayPort"] = FreePort(),
            ["Sana:Workers:TransformerGraph"] = transformerGraph.ToString(),
            ["Sana:Cluster:ClusterId"] = "sana-local-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        };
        settings["Sana:Silo:PrimarySiloPort"] = settings["Sana:Silo:SiloPort"];
        if (!string.Equals(devices, "auto", StringComparison.OrdinalIgnoreCase))
        {
            var list = devices.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (var i = 0; i < list.Length; i++)
            {
                settings[$"Sana:Workers:Devices:{i}"] = list[i];
            }
        }

        foreach (var (key, value) in cudaOptions ?? new Dictionary<string, string>())
        {
            settings[$"Sana:Workers:CudaProviderOptions:{key}"] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        QuietConsoleLogging.Apply(builder.Logging, verbose);
        builder.AddSanaSiloCore();
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        return builder.Build();
    }

    private static string FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
    }
}
