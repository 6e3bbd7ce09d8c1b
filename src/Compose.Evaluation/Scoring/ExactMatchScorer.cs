using System.Text.RegularExpressions;
using Compose.Evaluation.Benchmarks;

namespace Compose.Evaluation.Scoring;

/// <summary>Correct when the whole answer equals a reference, after trimming and collapsing whitespace (case-sensitive unless asked).</summary>
public sealed partial class ExactMatchScorer(bool ignoreCase = false) : IScorer
{
    public string Name => "exact";

    public bool CallsNoModel => true;

    public ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default)
    {
        if (answer is null)
        {
            return ValueTask.FromResult(Score.Of(false, null));
        }

        var a = Clean(answer);
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return ValueTask.FromResult(Score.Of(item.References.Any(r => string.Equals(Clean(r), a, comparison)), a));
    }

    private static string Clean(string s) => Spaces().Replace(s.Trim(), " ");

    [GeneratedRegex(@"\s+", RegexOptions.None, 1000)]
    private static partial Regex Spaces();
}
