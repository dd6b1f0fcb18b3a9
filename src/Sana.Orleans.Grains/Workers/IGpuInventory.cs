using Sana.Inference.Pipeline;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// The silo host tells the grains which devices this silo has (discovered through NVML / nvidia-smi, or configured).
/// Registered once per silo; the GPU grains and the registration service read it.
/// </summary>
public interface IGpuInventory
{
    IReadOnlyList<GpuWorkerConfig> Workers { get; }
}
