using Compose.Evaluation.Benchmarks;
using Compose.Runtime;

namespace Compose.Evaluation.Scoring;

/// <summary>
/// Correct when the answer's final number (read by <see cref="MathAnswer.Extract"/>) is the reference's number
/// (<see cref="AnswerNumber"/>, as verify's number check: whole numbers exactly, others within a relative
/// tolerance; fractions read as their value; commas, currency, units, percent signs and trailing zeros ignored).
/// </summary>
public sealed class NumberScorer(double relativeTolerance = AnswerNumber.DefaultRelativeTolerance) : IScorer
{
    public string Name => "number";

    public bool CallsNoModel => true;

    public ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default)
    {
        var extracted = answer is null ? null : MathAnswer.Extract(answer);
        if (MathAnswer.ToNumber(extracted) is not { } value)
        {
            return ValueTask.FromResult(Score.Of(false, extracted));
        }

        var correct = item.References.Any(r => MathAnswer.ToNumber(MathAnswer.Extract(r)) is { } expected && AnswerNumber.Same(value, expected, relativeTolerance));
        return ValueTask.FromResult(Score.Of(correct, extracted));
    }
}
