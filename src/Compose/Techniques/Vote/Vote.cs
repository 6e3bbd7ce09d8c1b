using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Compose.Language;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Self-consistency: extracts each candidate's final answer and keeps the candidates that give the
/// most frequent one (in input order), each scored with the winning answer's vote share. Candidates
/// without an extractable answer do not vote; if none has one, all pass unchanged. No model calls.
/// </summary>
public sealed class Vote(VoteSpec spec) : ITechnique
{
    private readonly UserRegex? _extract = spec.Extract is null ? null : new UserRegex(spec.Extract, "vote extract");

    public VoteSpec Spec { get; } = spec;

    public Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        var count = Selection.Count(context.Input, _extract, Spec.TieBreak);
        var (winners, answer, share) = (count.Winners, count.Answer, count.Share);
        context.Report(new VoteCounted(context.NodeId, answer, share, count.Tally, count.Abstained) { QuestionId = context.Question.Id });
        if (answer is null)
        {
            return Task.FromResult(context.Input);
        }

        return Task.FromResult(winners.Select(c => c with { Score = share }).ToImmutableArray());
    }
}
