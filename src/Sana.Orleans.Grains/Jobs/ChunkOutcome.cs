namespace Sana.Orleans.Grains.Jobs;

/// <summary>How one chunk call of a job ended, which decides what the dispatch loop counts against the GPU.</summary>
internal enum ChunkOutcome
{
    /// <summary>Its images are recorded.</summary>
    Recorded,

    /// <summary>A stopping silo handed it back: no failure.</summary>
    HandedBack,

    /// <summary>The call failed: counts against the GPU (a few of these and this job stops using it).</summary>
    Failed,

    /// <summary>The GPU is unhealthy: skipped until its probe is due, not counted against it.</summary>
    GpuUnavailable,

    /// <summary>The image store stayed away past the retry budget: not the GPU's fault.</summary>
    StoreUnavailable,
}

/// <summary>Where in the GPU list a job starts its dispatch rounds: FNV-1a of its id, stable and spread.</summary>
internal static class DispatchRotation
{
    public static int Of(string jobId)
    {
        var hash = 2166136261u;
        foreach (var c in jobId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & int.MaxValue);
    }
}
