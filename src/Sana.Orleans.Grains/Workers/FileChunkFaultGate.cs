using System.Globalization;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// File-controlled gate: when "{point}.arm" exists in <paramref name="folder"/>, the first worker to reach that point
/// writes "{point}.reached" (job and GPU) and waits until the arm file is deleted (or the chunk is cancelled). Used
/// only by fault tests that run real silo processes; reading one missing file per point is all it costs otherwise.
/// </summary>
internal sealed class FileChunkFaultGate(string folder) : IChunkFaultGate
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    public static string Name(ChunkPoint point) => point switch
    {
        ChunkPoint.BeforeGenerate => "before-generate",
        ChunkPoint.MidGenerate => "mid-generate",
        _ => "while-storing",
    };

    public void Reach(ChunkPoint point, string jobId, string gpuId, CancellationToken cancellationToken)
    {
        var arm = Path.Combine(folder, Name(point) + ".arm");
        var reached = Path.Combine(folder, Name(point) + ".reached");
        if (!File.Exists(arm))
        {
            return;
        }

        try
        {
            using (var claim = new FileStream(reached, FileMode.CreateNew, FileAccess.Write))
            using (var writer = new StreamWriter(claim))
            {
                writer.Write(string.Create(CultureInfo.InvariantCulture, $"{jobId} {gpuId}"));
            }
        }
        catch (IOException)
        {
            return; // another worker holds this point already
        }

        while (File.Exists(arm))
        {
            cancellationToken.WaitHandle.WaitOne(Poll);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }
}
