using Compose.Search.Trials;

namespace Compose.Search.Optimizers;

/// <summary>Every feasible architecture in the space's order, at full fidelity (exhaustive when trials ≥ the pool).</summary>
public sealed class GridSearch : IOptimizer
{
    public string Name => "grid";

    public Proposal? Next(OptimizerContext context, IReadOnlyList<TrialRecord> history) =>
        history.Count >= context.Trials || history.Count >= context.Pool.Feasible.Length
            ? null
            : new Proposal(context.Pool.Feasible[history.Count].Architecture, context.FullFidelity);
}
