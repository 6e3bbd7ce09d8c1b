using System.Collections.Immutable;
using Compose.Language;

namespace Compose.Compilation;

/// <summary>
/// A checked pipeline as a graph of technique nodes. Layers run in order; the nodes of one layer
/// run side by side on the same input and their outputs are concatenated in node order.
/// </summary>
public sealed record PipelineGraph(PipelineSpec Spec, ImmutableArray<GraphNode> Nodes, ImmutableArray<GraphEdge> Edges, CostBound Bound)
{
    /// <summary>Number of layers.</summary>
    public int LayerCount => Nodes.Length == 0 ? 0 : Nodes.Max(n => n.Layer) + 1;

    public IEnumerable<GraphNode> NodesInLayer(int layer) => Nodes.Where(n => n.Layer == layer);

    /// <summary>Static upper bound on the money one question may cost, when every called model has a price; else null.</summary>
    public decimal? MaxCost { get; init; }

    /// <summary>The static upper bound on the number of candidates reaching <c>output:</c>.</summary>
    public int MaxFinalCandidates { get; init; }
}

/// <summary>
/// One technique in the graph. <see cref="ResolvedModels"/> are the model names it calls, after
/// applying <c>defaults.model</c> and the host default. Candidate counts are static upper bounds.
/// </summary>
public sealed record GraphNode(
    string Id,
    int Layer,
    TechniqueSpec Spec,
    ImmutableArray<string> ResolvedModels,
    int MaxCandidatesIn,
    int MaxCandidatesOut,
    CostBound Bound);

/// <summary>Candidates flow from <see cref="From"/> to <see cref="To"/> (node ids; "input" and "output" are the ends).</summary>
public sealed record GraphEdge(string From, string To);

/// <summary>Static upper bounds per question.</summary>
public readonly record struct CostBound(int Calls, long InputTokens, long OutputTokens)
{
    public static CostBound Zero => default;

    public long TotalTokens => InputTokens + OutputTokens;

    public static CostBound operator +(CostBound a, CostBound b) =>
        new(a.Calls + b.Calls, a.InputTokens + b.InputTokens, a.OutputTokens + b.OutputTokens);
}
