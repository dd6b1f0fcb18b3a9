namespace Sana.Orleans.Grains.Jobs;

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
