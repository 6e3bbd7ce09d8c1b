using System.Text.RegularExpressions;
using Compose.Evaluation.Benchmarks;
using Compose.Runtime;

namespace Compose.Evaluation.Scoring;

/// <summary>
/// Extracts the answer with a regular expression (its first capture group, else the whole match; the
/// last match when there are several) and compares it with the reference after normalisation.
/// </summary>
public sealed class RegexScorer(Regex pattern) : IScorer
{
    public string Name => "regex";

    public bool IsFree => true;

    public ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default)
    {
        string? extracted = null;
        if (answer is not null)
        {
            try
            {
                var matches = pattern.Matches(answer);
                if (matches.Count > 0)
                {
                    var m = matches[^1];
                    extracted = AnswerExtractor.Normalize(m.Groups.Count > 1 ? m.Groups[1].Value : m.Value);
                }
            }
            catch (RegexMatchTimeoutException)
            {
                extracted = null;
            }
        }

        var correct = extracted is not null && item.References.Any(r => AnswerExtractor.Normalize(r) == extracted);
        return ValueTask.FromResult(Score.Of(correct, extracted));
    }
}
