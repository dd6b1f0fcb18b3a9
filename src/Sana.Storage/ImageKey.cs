using System.Globalization;

namespace Sana.Storage;

/// <summary>The deterministic name of image <see cref="Index"/> of a job: "{job}/{index:D6}-{seed}.{ext}".</summary>
public readonly record struct ImageKey(string JobId, int Index, ulong Seed, string Extension = "png")
{
    public string Name => string.Create(CultureInfo.InvariantCulture, $"{JobId}/{Index:D6}-{Seed}.{Extension}");
}
