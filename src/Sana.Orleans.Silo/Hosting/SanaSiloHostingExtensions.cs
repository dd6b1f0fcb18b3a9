using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using Sana.Orleans.Silo.Api;
using Sana.Orleans.Silo.Health;
using Sana.Orleans.Silo.Logging;
using Sana.Orleans.Silo.Metrics;
using Sana.Orleans.Silo.Web;
using Sana.Orleans.Silo.Options;
using System.Net;

namespace Sana.Orleans.Silo.Hosting;

/// <summary>
/// Makes a process a Sana silo. <see cref="AddSanaSiloCore"/> is the silo alone (for an in-process cluster inside
/// another program); <see cref="AddSanaSilo"/> adds the HTTP side (dashboard, /metrics, /gpus, /health on loopback,
/// behind <see cref="HttpAccessMiddleware"/> when protected) and the console log format, which
/// <see cref="MapSanaSilo"/> maps once the app is built.
/// </summary>
public static class SanaSiloHostingExtensions
{
    /// <summary>
    /// The silo with its dashboard and health endpoint: <see cref="AddSanaSiloCore"/>, the Orleans dashboard, and Kestrel
    /// on <c>Sana:Silo:HttpAddress</c>:<c>Sana:Silo:HttpPort</c>. Call <see cref="MapSanaSilo"/> after Build.
    /// </summary>
    public static WebApplicationBuilder AddSanaSilo(this WebApplicationBuilder builder, Action<ISiloBuilder>? configureSilo = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var silo = SiloWiring.ReadValidated<SanaSiloOptions>(builder.Configuration, SanaSiloOptions.SectionName, new SanaSiloOptionsValidator());
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(silo.HttpAddress), silo.HttpPort));
        SanaLoggingOptions.Configure(builder.Logging, builder.Configuration);
        if (silo.MetricsEnabled)
        {
            SiloMetrics.Add(builder.Services, silo);
        }

        if (silo.GpuPageEnabled)
        {
            GpuPage.AddServices(builder.Services, silo.GpuHistory);
        }

        if (silo.ApiEnabled)
        {
            JobsApi.AddServices(builder.Services, silo.HttpAccess);
        }

        builder.AddSanaSiloCore(siloBuilder =>
        {
            if (silo.DashboardEnabled)
            {
                siloBuilder.AddDashboard();
            }

            configureSilo?.Invoke(siloBuilder);
        });
        return builder;
    }

    /// <summary>
    /// The silo without HTTP: options bound from configuration (<c>Sana:Silo</c>, <c>Sana:Cluster</c>,
    /// <c>Sana:Workers</c>, <c>Sana:ModelPath</c>, <c>Sana:ImageStore</c>, <c>Sana:Grains</c>) and validated at start,
    /// the silo name, clustering, grain storage and reminders, the Sana grains, this machine's workers (GPUs or CPU),
    /// the image store, and <c>ISanaClient</c> over the silo's own grain factory.
    /// </summary>
    public static IHostApplicationBuilder AddSanaSiloCore(this IHostApplicationBuilder builder, Action<ISiloBuilder>? configureSilo = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        SiloWiring.AddOptionsAndServices(builder.Services, builder.Configuration);
        builder.UseOrleans(siloBuilder =>
        {
            SiloWiring.ConfigureOrleans(siloBuilder, builder.Configuration);
            configureSilo?.Invoke(siloBuilder);
        });
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> and, when enabled, the dashboard under <c>Sana:Silo:DashboardPath</c>, the Prometheus endpoint
    /// (<c>Sana:Silo:MetricsPath</c>), the GPU page (<c>/gpus</c>, <c>/api/gpus</c>, <c>/api/gpus/history</c>) and the job
    /// API (<c>/api/jobs</c>, <c>/openapi/v1.json</c>), all behind the access check.
    /// </summary>
    public static WebApplication MapSanaSilo(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var silo = app.Services.GetRequiredService<IOptions<SanaSiloOptions>>().Value;
        app.UseMiddleware<HttpAccessMiddleware>();
        app.MapGet("/health", async (SiloHealth health, CancellationToken cancellationToken) =>
        {
            var report = await health.GetAsync(cancellationToken).ConfigureAwait(false);
            return Results.Json(report, SiloHealthReport.JsonOptions, statusCode: report.IsActive ? 200 : 503);
        });
        if (silo.DashboardEnabled)
        {
            app.MapOrleansDashboard(routePrefix: silo.DashboardPath.TrimEnd('/'));
        }

        if (silo.MetricsEnabled)
        {
            SiloMetrics.Map(app, silo);
        }

        if (silo.GpuPageEnabled)
        {
            GpuPage.Map(app);
        }

        if (silo.ApiEnabled)
        {
            JobsApi.Map(app);
        }

        return app;
    }
}
