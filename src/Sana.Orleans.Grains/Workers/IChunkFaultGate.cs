using System.Globalization;

namespace Sana.Orleans.Grains.Workers;

/// <summary>
/// A test hook at fixed points of a chunk; off (<see cref="NoChunkFaultGate.Off"/>) unless a fault-gate folder is configured. Lets a
/// test kill a silo process with a chunk at a known point instead of guessing by time.
/// </summary>
internal interface IChunkFaultGate
{
    void Reach(ChunkPoint point, string jobId, string gpuId, CancellationToken cancellationToken);
}
