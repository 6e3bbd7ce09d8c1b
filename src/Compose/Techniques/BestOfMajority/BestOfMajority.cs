using System.Collections.Immutable;
using System.Globalization;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Best-of-Majority (arXiv 2510.03199). The candidates' answers are counted; the candidates whose answer has at least
/// <c>min_share</c> of the votes stay (those of the most frequent answer always do; candidates without an answer never
/// do, unless no candidate has one). Among them the best <c>keep</c> pass on, best first (input order on a tie): by an
/// outcome reward when one is given (one judgement per staying candidate, side by side), else by the mean log-probability
/// of their tokens (their log-probability over their output tokens; a candidate without one ranks last). Each is scored
/// with what chose it. A <c>best_of_majority</c> event lists the answers that stayed.
/// </summary>
public sealed class BestOfMajority(BestOfMajoritySpec spec) : ITechnique
{
    private readonly Reward? _reward = spec.Reward is null ? null : new Reward(spec.Reward);
    private readonly UserRegex? _extract = spec.Extract is null ? null : new UserRegex(spec.Extract, "best_of_majority extract");

    public BestOfMajoritySpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var input = context.Input;
        var count = Selection.Count(input, _extract, Language.TieBreak.First);
        var voters = count.Tally.Sum(t => t.Votes);
        var staying = count.Tally.Where((t, i) => i == 0 || (double)t.Votes / voters >= Spec.MinShare - 1e-12).ToList();
        var ids = staying.SelectMany(t => t.Candidates).ToHashSet(StringComparer.Ordinal);
        var pool = voters == 0 ? input : [.. input.Where(c => ids.Contains(c.Id))];
        context.Report(new TechniqueEvent(context.NodeId, "best_of_majority", ImmutableDictionary<string, string>.Empty
            .Add("answers", string.Join(",", staying.Select(t => $"{t.Answer}:{t.Votes}")))
            .Add("candidates", pool.Length.ToString(CultureInfo.InvariantCulture))
            .Add("by", _reward is null ? "logprob" : "reward"))
        { QuestionId = context.Question.Id });

        IReadOnlyList<(int Index, double Score)> scored;
        if (_reward is not null)
        {
            var judge = _reward.Model is null ? null : context.Model;
            scored = await Concurrent.WithinBudget(pool.Length, async i =>
                (Index: i, Score: await _reward.ScoreAnswerAsync(context, judge, pool[i].Text, i, cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
        }
        else
        {
            scored = [.. pool.Select((c, i) => (i, MeanLogProbability(c)))];
        }

        return [.. scored
            .OrderByDescending(s => s.Score)
            .ThenBy(s => s.Index)
            .Take(Spec.Keep)
            .Select(s => pool[s.Index] with { Score = double.IsFinite(s.Score) ? s.Score : null })];
    }

    /// <summary>The mean token log-probability of a candidate: from its confidence summary, else its log-probability over its output tokens.</summary>
    public static double MeanLogProbability(Candidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return candidate.Confidence?.MeanLogProbability
            ?? (candidate.LogProbability is { } lp && candidate.Usage.OutputTokens > 0 ? lp / candidate.Usage.OutputTokens : double.NegativeInfinity);
    }
}
