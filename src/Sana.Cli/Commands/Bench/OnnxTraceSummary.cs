using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sana.Cli.Commands.Bench;

/// <summary>Where one graph's time went, by operator type, from an ONNX Runtime profiling trace.</summary>
internal sealed record TraceGraphSummary(
    string Graph, string TracePath, int RunsCounted, double RunMilliseconds, double NodeMilliseconds, IReadOnlyList<TraceOpTime> Ops,
    IReadOnlyList<TraceNodeTime> Nodes);

/// <summary>One operator type's share of a graph's node time.</summary>
internal sealed record TraceOpTime(string Op, string Provider, int Nodes, double Milliseconds, double SharePercent);

/// <summary>
/// One node of the graph's repeated structure (its name with layer numbers folded: every block's feed-forward depthwise
/// Conv is one row), so that an operator type's time splits by what the node does.
/// </summary>
internal sealed record TraceNodeTime(string Node, string Op, int Nodes, double Milliseconds, double SharePercent);

/// <summary>
/// Reads ONNX Runtime's profiling trace (a JSON array of Chrome-trace events: "Session" events named model_run for
/// each Run call, "Node" events named NODE_kernel_time with the operator type in args.op_name) and sums node time by
/// operator type. The first model_run of a session is left out: cuDNN's algorithm search and the memory arena's
/// growth happen there and would be charged to the convolutions. On CUDA a node's time is how long the host spent in
/// it, which is the kernel's time only when launches are synchronous (CUDA_LAUNCH_BLOCKING=1); the bench records
/// whether that was set.
/// </summary>
internal static partial class OnnxTraceSummary
{
    public static TraceGraphSummary Read(string graph, string tracePath, int topOps = 20, int topNodes = 25)
    {
        using var stream = File.OpenRead(tracePath);
        using var doc = JsonDocument.Parse(stream);
        var runs = new List<(double Start, double End)>();
        var nodes = new List<NodeEvent>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            var cat = e.TryGetProperty("cat", out var c) ? c.GetString() : null;
            var name = e.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
            var ts = e.TryGetProperty("ts", out var t) ? t.GetDouble() : 0;
            var dur = e.TryGetProperty("dur", out var d) ? d.GetDouble() : 0;
            if (cat == "Session" && name == "model_run")
            {
                runs.Add((ts, ts + dur));
            }
            else if (cat == "Node" && name.EndsWith("_kernel_time", StringComparison.Ordinal) && e.TryGetProperty("args", out var args))
            {
                var op = args.TryGetProperty("op_name", out var o) ? o.GetString() ?? "?" : "?";
                var provider = args.TryGetProperty("provider", out var p) ? p.GetString() ?? "" : "";
                nodes.Add(new NodeEvent(ts, dur, op, provider.Replace("ExecutionProvider", "", StringComparison.Ordinal), FoldLayers(name[..^"_kernel_time".Length])));
            }
        }

        runs.Sort();
        var firstRunEnd = runs.Count > 0 ? runs[0].End : double.NegativeInfinity;
        var counted = nodes.Where(x => runs.Count < 2 || x.Ts > firstRunEnd).ToList();
        var total = counted.Sum(x => x.Dur);
        var ops = SumBy(counted, total, x => (x.Op, x.Provider), x => x.Op, topOps)
            .Select(r => new TraceOpTime(r.Key.Op, r.Key.Provider, r.Nodes, r.Milliseconds, r.SharePercent))
            .ToList();
        var byNode = SumBy(counted, total, x => (x.Node, x.Op), x => x.Node, topNodes)
            .Select(r => new TraceNodeTime(r.Key.Node, r.Key.Op, r.Nodes, r.Milliseconds, r.SharePercent))
            .ToList();
        var runMs = runs.Skip(runs.Count < 2 ? 0 : 1).Sum(r => r.End - r.Start) / 1000.0;
        return new TraceGraphSummary(graph, tracePath, Math.Max(0, runs.Count < 2 ? runs.Count : runs.Count - 1), runMs, total / 1000.0, ops, byNode);
    }

    /// <summary>Node time summed by <paramref name="key"/>, largest first (ties by <paramref name="name"/>), the first <paramref name="take"/>.</summary>
    private static IEnumerable<(TKey Key, int Nodes, double Milliseconds, double SharePercent)> SumBy<TKey>(
        List<NodeEvent> counted, double total, Func<NodeEvent, TKey> key, Func<NodeEvent, string> name, int take) =>
        counted
            .GroupBy(key)
            .Select(g => (g.Key, Name: name(g.First()), Nodes: g.Count(), Micros: g.Sum(x => x.Dur)))
            .OrderByDescending(g => g.Micros)
            .ThenBy(g => g.Name, StringComparer.Ordinal)
            .Take(take)
            .Select(g => (g.Key, g.Nodes, g.Micros / 1000.0, total > 0 ? 100.0 * g.Micros / total : 0));

    /// <summary>One kernel-time event of the trace: when, how long (µs), operator, provider, node name with layers folded.</summary>
    private readonly record struct NodeEvent(double Ts, double Dur, string Op, string Provider, string Node);

    /// <summary>"/transformer_blocks.12/ff/Conv_1" -> "/transformer_blocks.N/ff/Conv_1": every layer's copy of a node in one row.</summary>
    internal static string FoldLayers(string nodeName) => LayerIndex().Replace(nodeName, ".N/");

    [GeneratedRegex(@"\.\d+/")]
    private static partial Regex LayerIndex();

    public static string Markdown(IReadOnlyList<TraceGraphSummary> graphs, bool launchBlocking)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.Append("Where the time goes (ONNX Runtime profiling; first run of each graph left out; ")
            .Append(launchBlocking ? "CUDA_LAUNCH_BLOCKING=1, so node times are kernel times" : "node times are host times: on CUDA set CUDA_LAUNCH_BLOCKING=1 for kernel times")
            .AppendLine("):");
        foreach (var g in graphs)
        {
            sb.AppendLine();
            sb.Append(inv, $"{g.Graph}: {g.RunsCounted} runs, {g.RunMilliseconds:F1} ms in Run, {g.NodeMilliseconds:F1} ms in nodes").AppendLine();
            sb.AppendLine();
            sb.AppendLine("| op | provider | nodes | ms | share % |");
            sb.AppendLine("|---|---|---:|---:|---:|");
            foreach (var o in g.Ops)
            {
                sb.Append(inv, $"| {o.Op} | {o.Provider} | {o.Nodes} | {o.Milliseconds:F1} | {o.SharePercent:F1} |").AppendLine();
            }

            if (g.Nodes.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("| node (layers folded) | op | nodes | ms | share % |");
                sb.AppendLine("|---|---|---:|---:|---:|");
                foreach (var n in g.Nodes)
                {
                    sb.Append(inv, $"| `{n.Node}` | {n.Op} | {n.Nodes} | {n.Milliseconds:F1} | {n.SharePercent:F1} |").AppendLine();
                }
            }
        }

        return sb.ToString();
    }
}
