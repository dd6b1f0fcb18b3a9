using System.Globalization;

namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>
/// A test cluster's shape: per silo (TestCluster names them Primary, Secondary_1, ...) the micro-batch capacity of each
/// of its workers. Travels to the silos as configuration, so clusters of different shapes can run side by side.
/// </summary>
public sealed record ClusterSpec(IReadOnlyList<int[]> WorkersBySilo)
{
    public static string SiloName(int instance) => instance == 0 ? "Primary" : $"Secondary_{instance}";

    public int WorkerCount => WorkersBySilo.Sum(w => w.Length);

    public IEnumerable<KeyValuePair<string, string>> ToProperties()
    {
        for (var i = 0; i < WorkersBySilo.Count; i++)
        {
            yield return new($"Sana:Workers:{SiloName(i)}", string.Join(",", WorkersBySilo[i].Select(c => c.ToString(CultureInfo.InvariantCulture))));
        }
    }

    public static int[] ParseWorkers(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : [.. text.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture))];
}
