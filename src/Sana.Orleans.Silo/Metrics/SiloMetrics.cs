using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Sana.Orleans.Grains.Telemetry;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Metrics;

/// <summary>
/// The silo's metrics: the "Sana.Orleans" meter through OpenTelemetry, exported in Prometheus text format at
/// <c>Sana:Silo:MetricsPath</c> on the silo's HTTP port. Each scrape collects afresh (no response cache), so the GPU
/// gauges are read at scrape time. Series names: see docs/operations.md.
/// </summary>
internal static class SiloMetrics
{
    public static void Add(IServiceCollection services, SanaSiloOptions silo)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("sana-silo", serviceInstanceId: silo.Name))
            .WithMetrics(metrics => metrics
                .AddMeter(SanaMetrics.MeterName)
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
    }

    public static void Map(WebApplication app, SanaSiloOptions silo) => app.MapPrometheusScrapingEndpoint(silo.MetricsPath);
}
