using Sana.Orleans.Gpus;

namespace Sana.Orleans.Client;

/// <summary>What a client can learn of the models a cluster serves before it submits.</summary>
public static class SanaClientModelExtensions
{
    /// <summary>
    /// The native size (pixels per side) of the model a job would run on, as the cluster's ready workers report it:
    /// <paramref name="model"/>, or the first model served by name as the cluster picks one. A request without a size
    /// takes it, so that a size left out means the same wherever the job is submitted from. Null when no ready worker says.
    /// </summary>
    public static async Task<int?> GetNativeSizeAsync(this ISanaClient client, string? model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var ready = (await client.ListGpusAsync(cancellationToken).ConfigureAwait(false))
            .Where(g => g.Health == GpuHealth.Ready && g.NativeSize > 0)
            .OrderBy(g => g.ModelName, StringComparer.Ordinal)
            .ToArray();
        var serving = model is null ? ready.FirstOrDefault() : ready.FirstOrDefault(g => string.Equals(g.ModelName, model, StringComparison.Ordinal));
        return serving?.NativeSize;
    }
}
