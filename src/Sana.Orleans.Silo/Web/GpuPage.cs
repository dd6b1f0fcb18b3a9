using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sana.Orleans.Client;
using Sana.Orleans.Gpus;
using Sana.Orleans.Silo.Health;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Web;

/// <summary>What /api/gpus answers: every GPU grain of the cluster with its load, as seen from this silo.</summary>
public sealed record GpuPageSnapshot(string Silo, DateTimeOffset At, IReadOnlyList<GpuWorkerStatus> Gpus);

/// <summary>
/// The live GPU page: /gpus is a self-contained HTML page (no external scripts or styles) whose small script polls
/// /api/gpus, which lists every GPU the cluster's directory knows (<see cref="ISanaClient.ListGpusAsync"/>) with its
/// health, busy state and fraction, queue, images/s, images done and device memory. Under the table it draws a chart
/// per GPU of images/s and busy share over the last minutes, from /api/gpus/history (<see cref="GpuHistory"/>, filled
/// by <see cref="GpuHistorySampler"/>), which it polls once per sample interval rather than every second.
/// </summary>
public static class GpuPage
{
    public const string PagePath = "/gpus";
    public const string ApiPath = "/api/gpus";
    public const string HistoryApiPath = "/api/gpus/history";

    private static readonly Lazy<string> Html = new(() =>
    {
        using var stream = typeof(GpuPage).Assembly.GetManifestResourceStream("Sana.Orleans.Silo.Web.gpus.html")
            ?? throw new InvalidOperationException("embedded resource gpus.html is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The history behind the page's charts and its sampler; only a silo that serves the page needs them.</summary>
    public static void AddServices(IServiceCollection services, GpuHistoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new GpuHistory(options, sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<GpuHistorySampler>();
    }

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(PagePath, () => Results.Content(Html.Value, "text/html; charset=utf-8"));
        app.MapGet(ApiPath, async (ISanaClient sana, IOptions<SanaSiloOptions> silo, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var gpus = await sana.ListGpusAsync(cancellationToken).ConfigureAwait(false);
            var snapshot = new GpuPageSnapshot(silo.Value.Name, time.GetUtcNow(), [.. gpus.OrderBy(g => g.GpuId, StringComparer.Ordinal)]);
            return Results.Json(snapshot, SiloHealthReport.JsonOptions);
        });
        app.MapGet(HistoryApiPath, (GpuHistory history, IOptions<SanaSiloOptions> silo, TimeProvider time) =>
        {
            var snapshot = new GpuHistorySnapshot(silo.Value.Name, time.GetUtcNow(), history.SampleInterval.TotalSeconds,
                history.Window.TotalSeconds, history.Read());
            return Results.Json(snapshot, SiloHealthReport.JsonOptions);
        });
    }
}
