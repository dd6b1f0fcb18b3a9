using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Sana.Orleans.Gpus;
using Sana.Orleans.Grains.Workers;
using Sana.Orleans.Silo.Options;

namespace Sana.Orleans.Silo.Health;

/// <summary>What /health answers: this silo's membership status and its workers, for load balancers and operators.</summary>
public sealed record SiloHealthReport(
    string Silo,
    string Address,
    string ClusterId,
    string Status,
    IReadOnlyList<GpuWorkerStatus> Workers)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    [JsonIgnore]
    public bool IsActive => Status == nameof(SiloStatus.Active);
}

/// <summary>
/// Builds <see cref="SiloHealthReport"/>: the silo's own view of its membership status, and each local worker's status
/// (a worker that does not answer in time is reported unhealthy rather than hanging the probe).
/// </summary>
public sealed class SiloHealth(
    ILocalSiloDetails local,
    IClusterMembershipService membership,
    IGrainFactory grains,
    IGpuInventory inventory,
    IOptions<SanaSiloOptions> silo,
    IOptions<global::Orleans.Configuration.ClusterOptions> cluster)
{
    public static readonly TimeSpan WorkerTimeout = TimeSpan.FromSeconds(5);

    public async Task<SiloHealthReport> GetAsync(CancellationToken cancellationToken)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
        IReadOnlyList<GpuWorkerStatus> workers = [];
        if (status == SiloStatus.Active)
        {
            workers = await Task.WhenAll(inventory.Workers.Select(w => StatusOf(w, cancellationToken))).ConfigureAwait(false);
        }

        return new SiloHealthReport(silo.Value.Name, local.SiloAddress.ToString(), cluster.Value.ClusterId, status.ToString(), workers);
    }

    private async Task<GpuWorkerStatus> StatusOf(GpuWorkerConfig worker, CancellationToken cancellationToken)
    {
        var key = GpuKey.Format(silo.Value.Name, worker.Index);
        try
        {
            return await grains.GetGrain<IGpuWorkerGrain>(key).GetStatus().WaitAsync(WorkerTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return new GpuWorkerStatus(key, silo.Value.Name, worker.Device, ModelName: "", Capacity: worker.MicroBatch, Queued: 0,
                Busy: false, ImagesPerSecond: 0, ImagesDone: 0, ProcessMemoryBytes: 0, GpuHealth.Unhealthy,
                $"status unavailable: {e.Message}", ActivatedOn: "");
        }
    }
}
