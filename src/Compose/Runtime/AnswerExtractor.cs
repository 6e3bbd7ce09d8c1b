using System.Globalization;
using System.Text.RegularExpressions;

namespace Compose.Runtime;

/// <summary>
/// Extracts the final answer of a candidate: a user pattern (its first capture group), or the
/// built-in forms in order: <c>\boxed{...}</c>, <c>#### n</c>, "the answer is ...", <c>A: n</c> /
/// <c>Answer: ...</c>, then the last number, then the last non-empty line.
/// </summary>
public static partial class AnswerExtractor
{
    /// <summary>The final answer of <paramref name="text"/>: the user's <paramref name="pattern"/> when given (null when it does not match in time), else the built-in forms.</summary>
    public static string? Extract(string text, UserRegex? pattern = null)
    {
        if (pattern is not null)
        {
            var m = pattern.Match(text);
            return m is null ? null : Normalize(m.Groups.Count > 1 ? m.Groups[1].Value : m.Value);
        }

        var boxed = LastBoxed(text);
        if (boxed is not null)
        {
            return Normalize(boxed);
        }

        foreach (var regex in (ReadOnlySpan<Regex>)[Hashes(), AnswerIs(), AnswerLabel()])
        {
            var matches = regex.Matches(text);
            if (matches.Count > 0)
            {
                return Normalize(matches[^1].Groups[1].Value);
            }
        }

        var numbers = Number().Matches(text);
        if (numbers.Count > 0)
        {
            return Normalize(numbers[^1].Value);
        }

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? null : Normalize(lines[^1]);
    }

    /// <summary>Normalises an answer for comparison: trims, drops trailing punctuation, commas in numbers, <c>$</c>, and trailing zeros.</summary>
    public static string Normalize(string answer)
    {
        var a = answer.Trim().TrimEnd('.', '!', ';').Trim();
        a = a.Trim('*', '"', '\'', '`').Trim();
        var numeric = a.Replace(",", "", StringComparison.Ordinal).TrimStart('$').TrimEnd('%');
        if (decimal.TryParse(numeric, NumberStyles.Number, CultureInfo.InvariantCulture, out var number))
        {
            return number.ToString("G29", CultureInfo.InvariantCulture);
        }

        return a.ToLowerInvariant();
    }

    private static string? LastBoxed(string text)
    {
        var start = text.LastIndexOf("\\boxed{", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var depth = 0;
        var begin = start + "\\boxed{".Length;
        for (var i = begin; i < text.Length; i++)
        {
            if (text[i] == '{')
            {
                depth++;
            }
            else if (text[i] == '}')
            {
                if (depth == 0)
                {
                    return text[begin..i];
                }

                depth--;
            }
        }

        return null;
    }

    [GeneratedRegex(@"####\s*([^\n]+)", RegexOptions.None, 1000)]
    private static partial Regex Hashes();

    [GeneratedRegex(@"answer is[:\s]*\$?([^\n]+?)\s*(?:\.\s|\.?$|\n)", RegexOptions.IgnoreCase | RegexOptions.Multiline, 1000)]
    private static partial Regex AnswerIs();

    [GeneratedRegex(@"^\s*(?:A|Answer|Final answer)\s*:\s*([^\n]+)", RegexOptions.IgnoreCase | RegexOptions.Multiline, 1000)]
    private static partial Regex AnswerLabel();

    [GeneratedRegex(@"-?\d[\d,]*(?:\.\d+)?", RegexOptions.None, 1000)]
    private static partial Regex Number();
}
