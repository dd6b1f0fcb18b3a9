using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sana.TestSupport;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Silo.Hosting;

namespace Sana.Orleans.Silo.Tests;

/// <summary>
/// A real silo (the production host, Kestrel and all) in this test process, on free loopback ports, with the flat-colour
/// pipeline instead of ONNX and a temp model folder and image folder it deletes on dispose.
/// </summary>
public sealed class TestSilo : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private TestSilo(WebApplication app, string folder, string name)
    {
        App = app;
        Folder = folder;
        Name = name;
    }

    public WebApplication App { get; }
    public string Folder { get; }
    public string Name { get; }
    public string ImageFolder => Path.Combine(Folder, "images");
    public Uri HttpAddress => new(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Starts a silo named <paramref name="name"/>; <paramref name="settings"/> are extra configuration keys.</summary>
    public static async Task<TestSilo> StartAsync(
        string name,
        IDictionary<string, string>? settings = null,
        int siloPort = 0,
        int gatewayPort = 0,
        Action<WebApplicationBuilder>? configureHost = null)
    {
        var folder = Directory.CreateTempSubdirectory("sana-silo-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "model"));
        await File.WriteAllTextAsync(Path.Combine(folder, "model", "sana-model.json"), "{}");
        var ports = LoopbackPorts.Free(2);
        var config = new Dictionary<string, string>
        {
            ["Sana:Silo:Name"] = name,
            ["Sana:Silo:SiloPort"] = (siloPort == 0 ? ports[0] : siloPort).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sana:Silo:GatewayPort"] = (gatewayPort == 0 ? ports[1] : gatewayPort).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sana:Silo:PrimarySiloPort"] = (siloPort == 0 ? ports[0] : siloPort).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sana:Silo:HttpPort"] = "0",
            ["Sana:Workers:DiscoverGpus"] = "false",
            ["Sana:Workers:CpuWorkers"] = "2",
            ["Sana:ModelPath"] = Path.Combine(folder, "model"),
            ["Sana:ImageStore:Path"] = Path.Combine(folder, "images"),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            config[key] = value;
        }

        var args = config.Select(kv => $"--{kv.Key}={kv.Value}").ToArray();
        var app = SanaSilo.Build(args, silo => silo.Services.AddSingleton<IImagePipelineFactory, FlatColourPipeline.Factory>(), configureHost);
        try
        {
            await app.StartAsync().WaitAsync(StartTimeout);
        }
        catch
        {
            await app.DisposeAsync();
            Directory.Delete(folder, recursive: true);
            throw;
        }

        return new TestSilo(app, folder, name);
    }


    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            try
            {
                await App.StopAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                // A silo that cannot leave gracefully in time is torn down by DisposeAsync.
            }
        }

        await App.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
