using System.Text.RegularExpressions;
using Compose.Evaluation.Benchmarks;
using Compose.Runtime;

namespace Compose.Evaluation.Scoring;

/// <summary>
/// Extracts the answer with a regular expression (its first capture group, else the whole match; the
/// last match when there are several) and compares it with the reference after normalisation. The
/// pattern carries a match timeout (<see cref="ScorerOptions.RegexTimeout"/>): a match that takes longer is
/// a scorer failure, the answer wrong with the reason recorded.
/// </summary>
public sealed class RegexScorer(Regex pattern) : IScorer
{
    public string Name => "regex";

    public bool CallsNoModel => true;

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
            catch (RegexMatchTimeoutException ex)
            {
                return ValueTask.FromResult(Score.Failed(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"the regular expression took longer than {ex.MatchTimeout.TotalSeconds:0.###} s to match the answer and was abandoned")));
            }
        }

        var correct = extracted is not null && item.References.Any(r => AnswerExtractor.Normalize(r) == extracted);
        return ValueTask.FromResult(Score.Of(correct, extracted));
    }
}
