using Compose.Search.Trials;

namespace Compose.Search.Optimizers;

/// <summary>Uniform random search without replacement over the feasible architectures, at full fidelity.</summary>
public sealed class RandomSearch : IOptimizer
{
    public string Name => "random";

    public Proposal? Next(OptimizerContext context, IReadOnlyList<TrialRecord> history)
    {
        if (history.Count >= context.Trials)
        {
            return null;
        }

        var seen = history.Select(h => h.Architecture.Key).ToHashSet(StringComparer.Ordinal);
        var left = context.Pool.Feasible.Where(p => !seen.Contains(p.Architecture.Key)).ToList();
        return left.Count == 0 ? null : new Proposal(left[context.RandomFor(history.Count).Next(left.Count)].Architecture, context.FullFidelity);
    }
}
