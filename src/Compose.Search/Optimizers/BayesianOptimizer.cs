using Compose.Search.Trials;
using MathNet.Numerics.Distributions;

namespace Compose.Search.Optimizers;

/// <summary>
/// Bayesian optimisation: a few random trials, then each next trial maximises expected improvement
/// under a Gaussian-process surrogate (<see cref="GaussianProcess"/>) of accuracy over the encoded
/// architectures (<see cref="Space.FeatureEncoder"/>: discrete axes ordinal or one-hot, temperature
/// continuous). Candidates are the feasible architectures not yet evaluated; ties go to the earliest.
/// </summary>
public sealed class BayesianOptimizer(int initialTrials = 5, double exploration = 0.01) : IOptimizer
{
    public string Name => "bayes";

    public Proposal? Next(OptimizerContext context, IReadOnlyList<TrialRecord> history)
    {
        if (history.Count >= context.Trials)
        {
            return null;
        }

        var seen = history.Select(h => h.Architecture.Key).ToHashSet(StringComparer.Ordinal);
        var left = context.Pool.Feasible.Where(p => !seen.Contains(p.Architecture.Key)).ToList();
        if (left.Count == 0)
        {
            return null;
        }

        if (history.Count < initialTrials)
        {
            return new Proposal(left[context.RandomFor(history.Count).Next(left.Count)].Architecture, context.FullFidelity);
        }

        var x = history.Select(h => context.Encoder.Encode(h.Architecture)).ToList();
        var y = history.Select(h => h.Accuracy).ToList();
        var gp = GaussianProcess.Fit(x, y);
        var best = y.Max();
        var chosen = left[0];
        var bestEi = double.NegativeInfinity;
        foreach (var candidate in left)
        {
            var (mean, sd) = gp.Predict(context.Encoder.Encode(candidate.Architecture));
            var ei = ExpectedImprovement(mean, sd, best + exploration);
            if (ei > bestEi)
            {
                bestEi = ei;
                chosen = candidate;
            }
        }

        return new Proposal(chosen.Architecture, context.FullFidelity);
    }

    /// <summary>E[max(f - target, 0)] for f ~ N(mean, sd²).</summary>
    public static double ExpectedImprovement(double mean, double sd, double target)
    {
        if (sd <= 1e-12)
        {
            return Math.Max(0, mean - target);
        }

        var z = (mean - target) / sd;
        return ((mean - target) * Normal.CDF(0, 1, z)) + (sd * Normal.PDF(0, 1, z));
    }
}
