using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Silo.ModelCache;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Hosting;

/// <summary>
/// A whole silo process in two calls, for the `sana silo` command and the standalone entry point: configuration from
/// appsettings.json, environment (Sana__Silo__Name=...) and command line (--Sana:Silo:Name=...).
/// </summary>
public static class SanaSilo
{
    /// <summary>The line a started silo prints, which scripts and tests wait for.</summary>
    public const string ReadyMarker = "sana-silo ready";

    /// <summary>A built silo app: <c>WebApplication.CreateBuilder</c>, <c>AddSanaSilo</c>, <c>MapSanaSilo</c>.</summary>
    public static WebApplication Build(string[] args, Action<ISiloBuilder>? configureSilo = null, Action<WebApplicationBuilder>? configureHost = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddSanaSilo(configureSilo);
        configureHost?.Invoke(builder);
        var app = builder.Build();
        app.MapSanaSilo();
        return app;
    }

    /// <summary>
    /// Runs a silo until <paramref name="cancellationToken"/> or a stop signal. Returns 0 after a clean stop, 2 on a
    /// configuration error, which is printed as the list of keys at fault instead of a stack trace, and 1 when the model
    /// could not be fetched or failed its checksums, printed as one line naming the file.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, Action<ISiloBuilder>? configureSilo = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        WebApplication? app = null;
        try
        {
            app = Build(args, configureSilo);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException e)
        {
            await output.WriteLineAsync("sana silo: invalid configuration:").ConfigureAwait(false);
            foreach (var failure in e.Failures)
            {
                await output.WriteLineAsync("  " + failure).ConfigureAwait(false);
            }

            return 2;
        }
        catch (Exception e) when (ModelDownloadException.Find(e) is { } model)
        {
            await output.WriteLineAsync("sana silo: model: " + model.Message).ConfigureAwait(false);
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            return 1;
        }

        await using (app.ConfigureAwait(false))
        {
            await output.WriteLineAsync(DescribeReady(app)).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>"sana-silo ready name=... http=... workers=cuda:0,cuda:1": the silo's name, HTTP address and workers.</summary>
    public static string DescribeReady(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var silo = app.Services.GetRequiredService<IOptions<SanaSiloOptions>>().Value;
        var http = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "";
        var workers = app.Services.GetRequiredService<IGpuInventory>().Workers;
        return $"{ReadyMarker} name={silo.Name} http={http} workers={string.Join(',', workers.Select(w => w.Device))}";
    }
}
