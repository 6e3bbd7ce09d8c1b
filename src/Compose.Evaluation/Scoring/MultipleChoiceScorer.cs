using System.Text.Json;
using System.Text.RegularExpressions;
using Compose.Evaluation.Benchmarks;

namespace Compose.Evaluation.Scoring;

/// <summary>
/// Multiple choice: reads the chosen letter (A–J) from forms such as <c>\boxed{B}</c>, "the answer is (B)",
/// <c>Answer: B</c>, a lone <c>(B)</c> or <c>B)</c> line, and compares it with the reference letter. When the
/// reference is the text of a choice, <c>metadata.choices</c> (a list) maps it to its letter.
/// </summary>
public sealed partial class MultipleChoiceScorer : IScorer
{
    public string Name => "choice";

    public bool CallsNoModel => true;

    public ValueTask<Score> ScoreAsync(BenchmarkItem item, string? answer, CancellationToken cancellationToken = default)
    {
        var letter = answer is null ? null : Letter(answer);
        var correct = letter is not null && item.References.Any(r => ReferenceLetter(item, r) == letter);
        return ValueTask.FromResult(Score.Of(correct, letter));
    }

    /// <summary>The letter a response chose, or null.</summary>
    public static string? Letter(string text)
    {
        foreach (var regex in (ReadOnlySpan<Regex>)[Boxed(), AnswerIs(), Label(), Lone()])
        {
            var matches = regex.Matches(text);
            if (matches.Count > 0)
            {
                return matches[^1].Groups[1].Value.ToUpperInvariant();
            }
        }

        var bare = text.Trim().TrimEnd('.', ')').TrimStart('(');
        return bare.Length == 1 && char.IsAsciiLetter(bare[0]) ? bare.ToUpperInvariant() : null;
    }

    private static string? ReferenceLetter(BenchmarkItem item, string reference)
    {
        var r = reference.Trim();
        if (r.Length == 1 && char.IsAsciiLetter(r[0]))
        {
            return r.ToUpperInvariant();
        }

        if (item.Metadata is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var c in choices.EnumerateArray())
            {
                if (c.ValueKind == JsonValueKind.String && string.Equals(c.GetString()?.Trim(), r, StringComparison.OrdinalIgnoreCase))
                {
                    return ((char)('A' + i)).ToString();
                }

                i++;
            }
        }

        return Letter(r);
    }

    [GeneratedRegex(@"\\boxed\{\s*\(?([A-Ja-j])\)?\s*\}", RegexOptions.None, 1000)]
    private static partial Regex Boxed();

    [GeneratedRegex(@"answer is[:\s]*\(?([A-J])\b\)?", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex AnswerIs();

    [GeneratedRegex(@"(?m)^\s*(?:final\s+)?answer\s*:\s*\(?([A-J])\b\)?", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex Label();

    [GeneratedRegex(@"(?m)^\s*\(?([A-J])\)\s*$", RegexOptions.None, 1000)]
    private static partial Regex Lone();
}
