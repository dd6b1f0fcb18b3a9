using System.Globalization;
using System.Text;

namespace Sana.Orleans.Grains.Telemetry;

/// <summary>Image indices as a short, greppable log value: "4-7,12" for 4, 5, 6, 7 and 12.</summary>
public static class ImageIndices
{
    public static string Describe(IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var sorted = indices.Order().ToArray();
        var text = new StringBuilder();
        for (var i = 0; i < sorted.Length; i++)
        {
            var start = sorted[i];
            while (i + 1 < sorted.Length && sorted[i + 1] == sorted[i] + 1)
            {
                i++;
            }

            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(start.ToString(CultureInfo.InvariantCulture));
            if (sorted[i] != start)
            {
                text.Append('-').Append(sorted[i].ToString(CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
