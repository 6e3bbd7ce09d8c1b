namespace Compose.Evaluation.Running;

/// <summary>One benchmark item's outcome, written as one JSONL line of the results file.</summary>
public sealed record ItemResult
{
    public required string Id { get; init; }

    public bool Correct { get; init; }

    /// <summary>The scorer's value in [0, 1] (1/0 for right/wrong; a judge's rating / 10).</summary>
    public double Score { get; init; }

    /// <summary>True when any candidate the pipeline produced was correct (free scorers only; else null).</summary>
    public bool? Covered { get; init; }

    /// <summary>
    /// First drafts: distinct candidates a model wrote from the question alone (no parents), the samples
    /// coverage at k is estimated from (free scorers only; else null).
    /// </summary>
    public int? Samples { get; init; }

    /// <summary>How many of <see cref="Samples"/> were correct.</summary>
    public int? SamplesCorrect { get; init; }

    public string? Answer { get; init; }

    public string? Extracted { get; init; }

    public string? Reference { get; init; }

    public int Calls { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public decimal Cost { get; init; }

    public double LatencyMs { get; init; }

    public bool BudgetExhausted { get; init; }

    /// <summary>Why the pipeline failed on this item (a model error, an exception); the item then counts as wrong.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// Why the scorer could not judge the answer (a program that timed out, crashed or wrote too much, a
    /// regular expression that timed out, a judge pipeline that failed); the item then counts as wrong.
    /// </summary>
    public string? ScoreError { get; init; }

    /// <summary>What the run reported while still answering (a user regex that timed out, a search the budget stopped); null when nothing.</summary>
    public System.Collections.Immutable.ImmutableArray<string>? Warnings { get; init; }

    /// <summary>
    /// The diagnostic code of each of <see cref="Warnings"/>, in the same order (<c>CMP706</c> for a user regex that timed
    /// out, <c>CMP708</c> for a search the budget stopped), null for a technique's own warning; absent in results written
    /// before codes were recorded.
    /// </summary>
    public System.Collections.Immutable.ImmutableArray<string?>? WarningCodes { get; init; }

    /// <summary>The code of warning <paramref name="index"/>, or null when it has none or none was recorded.</summary>
    public string? WarningCode(int index) => WarningCodes is { } codes && index < codes.Length ? codes[index] : null;
}
