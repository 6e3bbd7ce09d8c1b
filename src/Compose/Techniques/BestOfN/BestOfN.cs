using System.Collections.Immutable;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Best-of-n by an outcome reward: every candidate is scored (side by side, seed per candidate) and the best
/// <c>keep</c> pass on, best first (input order on a tie), each with its reward as its score. Candidates the budget left
/// unscored do not pass; if none was scored the step fails on the budget.
/// </summary>
public sealed class BestOfN(BestOfNSpec spec) : ITechnique
{
    private readonly Reward _reward = new(spec.Reward ?? throw new ArgumentException("best_of_n needs a reward.", nameof(spec)));

    public BestOfNSpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var input = context.Input;
        var judge = _reward.Model is null ? null : context.Model;
        var scored = await Concurrent.WithinBudget(input.Length, async i =>
            (Index: i, Score: await _reward.ScoreAnswerAsync(context, judge, input[i].Text, i, cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
        return [.. scored
            .OrderByDescending(s => s.Score)
            .ThenBy(s => s.Index)
            .Take(Spec.Keep)
            .Select(s => input[s.Index] with { Score = s.Score })];
    }
}
