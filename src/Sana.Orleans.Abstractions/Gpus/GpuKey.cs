using System.Globalization;

namespace Sana.Orleans.Gpus;

/// <summary>
/// GPU grain keys: "{siloName}/gpu{index}". The silo name is the silo's configured name, and the placement director
/// activates the grain on that silo only.
/// </summary>
public static class GpuKey
{
    private const string Marker = "/gpu";

    public static string Format(string siloName, int index)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(siloName);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return string.Create(CultureInfo.InvariantCulture, $"{siloName}{Marker}{index}");
    }

    public static bool TryParse(string? key, out string siloName, out int index)
    {
        siloName = "";
        index = -1;
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }

        var at = key.LastIndexOf(Marker, StringComparison.Ordinal);
        if (at <= 0 || !int.TryParse(key.AsSpan(at + Marker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            index = -1;
            return false;
        }

        siloName = key[..at];
        return true;
    }

    /// <summary>The silo name of a key, or an <see cref="ArgumentException"/> naming the expected form.</summary>
    public static (string SiloName, int Index) Parse(string key) =>
        TryParse(key, out var silo, out var index)
            ? (silo, index)
            : throw new ArgumentException($"GPU grain key '{key}' is not of the form '{{siloName}}/gpu{{index}}'", nameof(key));
}
