using Compose.Evaluation.Benchmarks;

namespace Compose.Evaluation.Scoring;

/// <summary>
/// Correct when the answer's final number (read by <see cref="MathAnswer.Extract"/>) equals the reference's
/// number within a relative tolerance; commas, currency, units, percent signs and trailing zeros are ignored.
/// </summary>
public sealed class NumberScorer(double relativeTolerance = 1e-6) : IScorer
{
    public string Name => "number";

    public bool IsFree => true;

    public ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default)
    {
        var extracted = answer is null ? null : MathAnswer.Extract(answer);
        if (MathAnswer.ToNumber(extracted) is not { } value)
        {
            return ValueTask.FromResult(Score.Of(false, extracted));
        }

        var correct = item.References.Any(r => MathAnswer.ToNumber(MathAnswer.Extract(r)) is { } expected && MathAnswer.Close(value, expected, relativeTolerance));
        return ValueTask.FromResult(Score.Of(correct, extracted));
    }
}
