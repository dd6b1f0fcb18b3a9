namespace Sana.Orleans.Gpus;

/// <summary>Whether a GPU grain can take work.</summary>
[GenerateSerializer]
[Alias("sana.GpuHealth")]
public enum GpuHealth
{
    Loading = 0,
    Ready = 1,

    /// <summary>The model failed to load or the device fails; see <see cref="GpuWorkerStatus.Error"/>.</summary>
    Unhealthy = 2,
}
