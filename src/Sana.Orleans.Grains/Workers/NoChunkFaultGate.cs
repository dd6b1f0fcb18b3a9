using System.Globalization;

namespace Sana.Orleans.Grains.Workers;

internal sealed class NoChunkFaultGate : IChunkFaultGate
{
    public static readonly NoChunkFaultGate Off = new();

    public void Reach(ChunkPoint point, string jobId, string gpuId, CancellationToken cancellationToken)
    {
    }
}
