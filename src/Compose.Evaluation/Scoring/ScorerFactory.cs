using System.Text.RegularExpressions;
using Compose.Language;
using Compose.Runtime;

namespace Compose.Evaluation.Scoring;

/// <summary>
/// Builds a scorer from its command-line form: <c>math</c> (default), <c>exact</c>, <c>exact-ci</c>,
/// <c>number</c>, <c>choice</c>, <c>regex:PATTERN</c>, <c>program:COMMAND ARGS...</c> or
/// <c>judge:PIPELINE</c> (with a baseline pipeline: pairwise).
/// </summary>
public static class ScorerFactory
{
    public static readonly IReadOnlyList<string> Names = ["math", "exact", "exact-ci", "number", "choice", "regex:PATTERN", "program:COMMAND", "judge:PIPELINE"];

    /// <summary>The scorer for <paramref name="spec"/>; <paramref name="loadPipeline"/> loads judge and baseline pipelines.</summary>
    /// <remarks>
    /// A <c>program:</c> scorer's program is looked up now (CMP821 when missing, CMP822 when not executable),
    /// before any item runs; <paramref name="options"/> sets its time limit and the regex match timeout.
    /// </remarks>
    public static IScorer Create(string spec, Func<string, RunnablePipeline> loadPipeline, string? baseline = null, long seed = 0, ScorerOptions? options = null)
    {
        options ??= ScorerOptions.Default;
        var (kind, argument) = spec.IndexOf(':', StringComparison.Ordinal) is var at and > 0 ? (spec[..at], spec[(at + 1)..]) : (spec, "");
        switch (kind)
        {
            case "math":
                return new MathAnswerScorer();
            case "exact":
                return new ExactMatchScorer();
            case "exact-ci":
                return new ExactMatchScorer(ignoreCase: true);
            case "number":
                return new NumberScorer();
            case "choice":
                return new MultipleChoiceScorer();
            case "regex" when argument.Length > 0:
                try
                {
                    return new RegexScorer(new Regex(argument, RegexOptions.None, options.RegexTimeout));
                }
                catch (ArgumentException ex)
                {
                    throw Bad($"'{argument}' is not a valid regular expression: {ex.Message}");
                }

            case "program" when argument.Trim().Length > 0:
                var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return new ProgramScorer(ProgramScorer.Resolve(parts[0]), parts[1..], options.ProgramTimeout);
            case "judge" when argument.Length > 0:
                return new JudgeScorer(loadPipeline(argument), baseline is null ? null : loadPipeline(baseline), seed);
            default:
                throw Bad($"unknown scorer '{spec}'");
        }
    }

    private static DiagnosticException Bad(string message) =>
        new([Diagnostic.Error(EvaluationDiagnosticCodes.UnknownScorer, new SourceLocation("--scorer", 0, 0), message, $"Scorers: {string.Join(", ", Names)}.")]);
}
