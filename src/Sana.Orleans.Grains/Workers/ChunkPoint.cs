using System.Globalization;

namespace Sana.Orleans.Grains.Workers;

/// <summary>Where in a chunk a fault test may hold a worker (see <see cref="SanaGrainsOptions.FaultGateDirectory"/>).</summary>
internal enum ChunkPoint
{
    BeforeGenerate,
    MidGenerate,
    WhileStoring,
}
