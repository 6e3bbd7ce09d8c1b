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
            text.Append("    ").Append(ids[node.Id]).Append("[\"").Append(Label(node, "<br/>", MermaidEscape)).Append("\"]\n");
        }

        text.Append("    output([\"output: ").Append(SelectionWord(graph.Spec.Output.Kind)).Append("\"])\n");
        foreach (var edge in graph.Edges)
        {
            text.Append("    ").Append(MermaidId(ids, edge.From)).Append(" --> ").Append(MermaidId(ids, edge.To)).Append('\n');
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
            text.Append("    ").Append(DotQuote(node.Id)).Append(" [label=").Append(DotQuote(Label(node, "\n", text => text))).Append("];\n");
        }

        foreach (var edge in graph.Edges)
        {
            text.Append("    ").Append(DotQuote(edge.From)).Append(" -> ").Append(DotQuote(edge.To)).Append(";\n");
        }

        return text.Append("}\n").ToString();
    }

    /// <summary>A node label; <paramref name="escape"/> applies to each piece, not to the line breaks.</summary>
    private static string Label(GraphNode node, string newline, Func<string, string> escape)
    {
        var models = node.ResolvedModels.IsEmpty ? "" : $" ({string.Join(", ", node.ResolvedModels)})";
        return string.Join(
            newline,
            escape(node.Id),
            escape(node.Spec.Kind + models),
            $"{node.MaxCandidatesIn}→{node.MaxCandidatesOut} candidates, ≤{Num(node.Bound.Calls)} calls");
    }

    private static string SelectionWord(Language.SelectionKind kind) => kind switch
    {
        Language.SelectionKind.Vote => "vote",
        Language.SelectionKind.BestScore => "best_score",
        Language.SelectionKind.BestLogProb => "best_logprob",
        _ => "first",
    };

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

    /// <summary>Mermaid entity codes (<c>#quot;</c>, <c>#35;</c>...) so user text cannot end a label or inject markup.</summary>
    /// <summary>The Mermaid id of a node; an edge end that is no node gets a fresh id rather than failing.</summary>
    private static string MermaidId(Dictionary<string, string> ids, string node)
    {
        if (!ids.TryGetValue(node, out var id))
        {
            id = $"x{ids.Count}";
            ids[node] = id;
        }

        return id;
    }

    private static string MermaidEscape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            escaped.Append(c switch
            {
                '#' => "#35;",
                '"' => "#quot;",
                '<' => "#lt;",
                '>' => "#gt;",
                '&' => "#amp;",
                '\r' or '\n' => " ",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }

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
