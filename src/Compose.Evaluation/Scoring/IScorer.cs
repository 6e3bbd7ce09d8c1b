using Compose.Evaluation.Benchmarks;

namespace Compose.Evaluation.Scoring;

/// <summary>Judges an answer to a benchmark item.</summary>
public interface IScorer
{
    /// <summary>The scorer's name as written on the command line (<c>math</c>, <c>exact</c>, ...).</summary>
    string Name { get; }

    /// <summary>True when scoring costs no model call, so every candidate can be scored (coverage).</summary>
    bool IsFree { get; }

    ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default);
}

/// <summary>A scorer's verdict: correct or not, a value in [0, 1], and the answer it read from the text.</summary>
public sealed record Score(bool Correct, double Value, string? Extracted)
{
    public static Score Of(bool correct, string? extracted) => new(correct, correct ? 1 : 0, extracted);
}
