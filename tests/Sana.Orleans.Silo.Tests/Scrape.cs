using System.Globalization;

namespace Sana.Orleans.Silo.Tests;

/// <summary>Reads Prometheus text format: the sum of a metric's samples whose labels include every given pair.</summary>
public static class Scrape
{
    public static double Sum(string exposition, string metric, params (string Label, string Value)[] labels)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        var sum = 0.0;
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !(line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal)))
            {
                continue;
            }

            if (labels.All(l => line.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                var value = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
                sum += double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    public static bool Has(string exposition, string metric) =>
        exposition.Split('\n').Any(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal));
}
