using Sana.Orleans.Grains.Workers;

namespace Sana.Orleans.Silo.Gpus;

/// <summary>
/// This silo's workers, planned on first use rather than when the container builds it: hosted services take the
/// inventory in their constructors before the host starts, but the plan needs the model folder, which for a blob model
/// exists only once the host's start has downloaded it. A plan that fails (asked for too early) is not remembered.
/// </summary>
internal sealed class PlannedGpuInventory(Func<IReadOnlyList<GpuWorkerConfig>> plan) : IGpuInventory
{
    private readonly Lazy<IReadOnlyList<GpuWorkerConfig>> _workers = new(plan, LazyThreadSafetyMode.PublicationOnly);

    public IReadOnlyList<GpuWorkerConfig> Workers => _workers.Value;
}
