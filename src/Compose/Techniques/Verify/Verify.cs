using System.Collections.Immutable;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Judges each candidate with a model (one call each, side by side) or a program check, and keeps
/// those that pass, in input order, marked <see cref="Candidate.Verified"/>. When none passes,
/// <c>on_none</c> decides: keep_all (all continue, marked unverified), keep_best (the highest-scored,
/// else the first, continues unverified) or fail (the question fails with a message).
/// </summary>
public sealed class Verify(VerifySpec spec) : ITechnique
{
    private readonly CandidateJudge _judge = new(spec.Check) { Constrained = spec.Constrained };

    public VerifySpec Spec { get; } = spec;

    public async Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        var input = context.Input;
        var verdicts = await Concurrent.All(input.Length, i => _judge.PassesAsync(context, context.Model, input[i], i + 1, i, Spec.Reasoning, cancellationToken)).ConfigureAwait(false);
        var judged = input.Select((c, i) => c with { Verified = verdicts[i] }).ToImmutableArray();
        var passed = judged.Where(c => c.Verified == true).ToImmutableArray();
        if (!passed.IsEmpty)
        {
            return passed;
        }

        return Spec.OnNone switch
        {
            OnNonePass.Fail => throw new QuestionFailedException(
                $"{context.NodeId}: no candidate passed verification ({input.Length} judged) and on_none is 'fail'"),
            OnNonePass.KeepBest when !judged.IsEmpty => [judged
                .Select((c, i) => (c, i))
                .OrderByDescending(x => x.c.Score ?? double.NegativeInfinity)
                .ThenBy(x => x.i)
                .First().c],
            _ => judged,
        };
    }
}
