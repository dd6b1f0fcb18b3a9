using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sana.Cli.Commands;

/// <summary>Where one graph's time went, by operator type, from an ONNX Runtime profiling trace.</summary>
internal sealed record TraceGraphSummary(string Graph, string TracePath, int RunsCounted, double RunMilliseconds, double NodeMilliseconds, IReadOnlyList<TraceOpTime> Ops);

/// <summary>One operator type's share of a graph's node time.</summary>
internal sealed record TraceOpTime(string Op, string Provider, int Nodes, double Milliseconds, double SharePercent);

/// <summary>
/// Reads ONNX Runtime's profiling trace (a JSON array of Chrome-trace events: "Session" events named model_run for
/// each Run call, "Node" events named NODE_kernel_time with the operator type in args.op_name) and sums node time by
/// operator type. The first model_run of a session is left out: cuDNN's algorithm search and the memory arena's
/// growth happen there and would be charged to the convolutions. On CUDA a node's time is how long the host spent in
/// it, which is the kernel's time only when launches are synchronous (CUDA_LAUNCH_BLOCKING=1); the bench records
/// whether that was set.
/// </summary>
internal static class OnnxTraceSummary
{
    public static TraceGraphSummary Read(string graph, string tracePath, int topOps = 20)
    {
        using var stream = File.OpenRead(tracePath);
        using var doc = JsonDocument.Parse(stream);
        var runs = new List<(double Start, double End)>();
        var nodes = new List<(double Ts, double Dur, string Op, string Provider)>();
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
                nodes.Add((ts, dur, op, provider.Replace("ExecutionProvider", "", StringComparison.Ordinal)));
            }
        }

        runs.Sort();
        var firstRunEnd = runs.Count > 0 ? runs[0].End : double.NegativeInfinity;
        var counted = nodes.Where(x => runs.Count < 2 || x.Ts > firstRunEnd).ToList();
        var total = counted.Sum(x => x.Dur);
        var ops = counted
            .GroupBy(x => (x.Op, x.Provider))
            .Select(g => new TraceOpTime(g.Key.Op, g.Key.Provider, g.Count(), g.Sum(x => x.Dur) / 1000.0, total > 0 ? 100.0 * g.Sum(x => x.Dur) / total : 0))
            .OrderByDescending(o => o.Milliseconds)
            .ThenBy(o => o.Op, StringComparer.Ordinal)
            .Take(topOps)
            .ToList();
        var runMs = runs.Skip(runs.Count < 2 ? 0 : 1).Sum(r => r.End - r.Start) / 1000.0;
        return new TraceGraphSummary(graph, tracePath, Math.Max(0, runs.Count < 2 ? runs.Count : runs.Count - 1), runMs, total / 1000.0, ops);
    }

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
        }

        return sb.ToString();
    }
}
