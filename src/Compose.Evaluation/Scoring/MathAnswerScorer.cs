using Compose.Evaluation.Benchmarks;

namespace Compose.Evaluation.Scoring;

/// <summary>
/// Math final answers: reads the final answer of the response and of the reference in any of the forms
/// <c>\boxed{...}</c>, <c>#### n</c>, <c>A: n</c>/<c>Answer: ...</c>, "the answer is ..." (then the last
/// number), and compares them as numbers (commas, currency, units, fractions, percent and trailing zeros
/// normalised) or, when either is not a number, as normalised expressions.
/// </summary>
public sealed class MathAnswerScorer : IScorer
{
    public string Name => "math";

    public bool CallsNoModel => true;

    public ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default)
    {
        var extracted = answer is null ? null : MathAnswer.Extract(answer);
        var correct = extracted is not null && item.References.Any(r => MathAnswer.Equivalent(extracted, MathAnswer.Extract(r)));
        return ValueTask.FromResult(Score.Of(correct, extracted));
    }
}
