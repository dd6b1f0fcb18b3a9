namespace Sana.Orleans.Gpus;

/// <summary>
/// Which GPU grains exist and are alive. Each silo registers its GPUs when it becomes active (and again after any
/// membership change, so a directory lost with its silo is rebuilt); entries of silos that stop or die leave.
/// One per cluster: use <see cref="Key"/>.
/// </summary>
[Alias("sana.IGpuDirectoryGrain")]
public interface IGpuDirectoryGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    /// <summary>Replaces what silo <paramref name="siloName"/> (at <paramref name="silo"/>) serves.</summary>
    [Alias("Register")]
    Task Register(string siloName, SiloAddress silo, GpuDescriptor[] gpus);

    [Alias("Unregister")]
    Task Unregister(string siloName, SiloAddress silo);

    /// <summary>Every GPU of the active silos, unhealthy ones (model failed to load) included, ordered by id.</summary>
    [AlwaysInterleave]
    [Alias("ListGpus")]
    Task<GpuDescriptor[]> ListGpus();

    /// <summary>The Ready GPUs of the silos that are active now (those jobs may use), ordered by id.</summary>
    [AlwaysInterleave]
    [Alias("GetGpus")]
    Task<GpuDescriptor[]> GetGpus();

    /// <summary>Completes once at least <paramref name="minimumCount"/> GPUs are registered (or on cancellation).</summary>
    [AlwaysInterleave]
    [ResponseTimeout("01:00:00")]
    [Alias("WaitForGpus")]
    Task<GpuDescriptor[]> WaitForGpus(int minimumCount, CancellationToken cancellationToken = default);
}
