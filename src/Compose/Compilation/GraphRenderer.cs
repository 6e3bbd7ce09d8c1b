using System.Globalization;
using System.Text;

namespace Compose.Compilation;

/// <summary>Renders a <see cref="PipelineGraph"/> as a text table, a Mermaid flowchart or a Graphviz DOT graph.</summary>
public static class GraphRenderer
{
    /// <summary>A readable listing: one row per node with its bounds, then the totals.</summary>
    public static string Text(PipelineGraph graph)
    {
        string[] header = ["layer", "node", "technique", "models", "cand in→out", "calls", "tokens in", "tokens out"];
        var rows = graph.Nodes.Select(n => new[]
        {
            (n.Layer + 1).ToString(CultureInfo.InvariantCulture),
            n.Id,
            n.Spec.Kind,
            n.ResolvedModels.IsEmpty ? "-" : string.Join(", ", n.ResolvedModels),
            $"{n.MaxCandidatesIn}→{n.MaxCandidatesOut}",
            Num(n.Bound.Calls),
            Num(n.Bound.InputTokens),
            Num(n.Bound.OutputTokens),
        }).ToList();
        rows.Add(["", "total", "", "", $"→{graph.MaxFinalCandidates}", Num(graph.Bound.Calls), Num(graph.Bound.InputTokens), Num(graph.Bound.OutputTokens)]);

        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        text.Append("pipeline ").Append(graph.Spec.Name).Append(" (static upper bounds per question)").Append('\n');
        AppendRow(text, header, widths);
        AppendRow(text, widths.Select(w => new string('-', w)).ToArray(), widths);
        for (var i = 0; i < rows.Count; i++)
        {
            if (i == rows.Count - 1)
            {
                AppendRow(text, widths.Select(w => new string('-', w)).ToArray(), widths);
            }

            AppendRow(text, rows[i], widths);
        }

        text.Append("total tokens: ").Append(Num(graph.Bound.TotalTokens));
        if (graph.MaxCost is { } cost)
        {
            text.Append(", max cost: ").Append(cost.ToString("0.######", CultureInfo.InvariantCulture));
        }

        return text.Append('\n').ToString();
    }

    /// <summary>A Mermaid flowchart (<c>flowchart LR</c>); node labels are quoted and escaped.</summary>
    public static string Mermaid(PipelineGraph graph)
    {
        var ids = NodeIds(graph);
        var text = new StringBuilder("flowchart LR\n");
        text.Append("    input([\"input\"])\n");
        foreach (var node in graph.Nodes)
        {
            text.Append("    ").Append(ids[node.Id]).Append("[\"").Append(MermaidEscape(Label(node, "<br/>"))).Append("\"]\n");
        }

        text.Append("    output([\"output: ").Append(MermaidEscape(graph.Spec.Output.Kind.ToString().ToLowerInvariant())).Append("\"])\n");
        foreach (var edge in graph.Edges)
        {
            text.Append("    ").Append(ids[edge.From]).Append(" --> ").Append(ids[edge.To]).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>A Graphviz DOT digraph; ids and labels are quoted and escaped.</summary>
    public static string Dot(PipelineGraph graph)
    {
        var text = new StringBuilder("digraph pipeline {\n");
        text.Append("    label=").Append(DotQuote(graph.Spec.Name)).Append(";\n");
        text.Append("    rankdir=LR;\n    node [shape=box];\n");
        text.Append("    \"input\" [shape=oval];\n    \"output\" [shape=oval];\n");
        foreach (var node in graph.Nodes)
        {
            text.Append("    ").Append(DotQuote(node.Id)).Append(" [label=").Append(DotQuote(Label(node, "\n"))).Append("];\n");
        }

        foreach (var edge in graph.Edges)
        {
            text.Append("    ").Append(DotQuote(edge.From)).Append(" -> ").Append(DotQuote(edge.To)).Append(";\n");
        }

        return text.Append("}\n").ToString();
    }

    private static string Label(GraphNode node, string newline)
    {
        var models = node.ResolvedModels.IsEmpty ? "" : $" ({string.Join(", ", node.ResolvedModels)})";
        return $"{node.Id}{newline}{node.Spec.Kind}{models}{newline}{node.MaxCandidatesIn}→{node.MaxCandidatesOut} candidates, ≤{Num(node.Bound.Calls)} calls";
    }

    /// <summary>Mermaid ids must be simple words: number the nodes, keep the ends.</summary>
    private static Dictionary<string, string> NodeIds(PipelineGraph graph)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal) { ["input"] = "input", ["output"] = "output" };
        for (var i = 0; i < graph.Nodes.Length; i++)
        {
            ids.TryAdd(graph.Nodes[i].Id, $"n{i}");
        }

        return ids;
    }

    private static string MermaidEscape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("\"", "&quot;", StringComparison.Ordinal)
            .Replace("\n", " ", StringComparison.Ordinal);

    private static string DotQuote(string text)
    {
        var escaped = text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\r", "", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);
        return $"\"{escaped}\"";
    }

    private static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            var alignRight = i >= 5;
            line.Append(alignRight ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
            line.Append(i == cells.Length - 1 ? "" : "  ");
        }

        text.Append(line.ToString().TrimEnd()).Append('\n');
    }

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);
}
