using Compose.Evaluation.Benchmarks;

namespace Compose.Evaluation.Scoring;

/// <summary>Judges an answer to a benchmark item.</summary>
public interface IScorer
{
    /// <summary>The scorer's name as written on the command line (<c>math</c>, <c>exact</c>, ...).</summary>
    string Name { get; }

    /// <summary>True when scoring costs no model call, so every candidate can be scored (coverage).</summary>
    bool CallsNoModel { get; }

    ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default);
}

/// <summary>
/// A scorer's verdict: correct or not, a value in [0, 1], and the answer it read from the text; or, when
/// the scorer itself failed (a program that timed out or crashed, a regular expression that timed out),
/// wrong with the reason in <see cref="Failure"/>.
/// </summary>
public sealed record Score(bool Correct, double Value, string? Extracted)
{
    /// <summary>Why the scorer could not judge the answer (null when it could); the answer then counts as wrong.</summary>
    public string? Failure { get; init; }

    public static Score Of(bool correct, string? extracted) => new(correct, correct ? 1 : 0, extracted);

    /// <summary>A scorer failure: wrong, with the reason recorded.</summary>
    public static Score Failed(string reason, string? extracted = null) => new(false, 0, extracted) { Failure = reason };
}
