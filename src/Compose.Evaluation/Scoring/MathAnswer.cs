using System.Text.RegularExpressions;
using Compose.Runtime;

namespace Compose.Evaluation.Scoring;

/// <summary>Reads and compares final answers of math problems.</summary>
public static partial class MathAnswer
{
    /// <summary>The final answer of <paramref name="text"/>: <c>\boxed{}</c>, <c>####</c>, "the answer is", <c>A:</c>, else the last number.</summary>
    public static string? Extract(string? text) => text is null ? null : AnswerExtractor.Extract(text);

    /// <summary>The answer as a number (<see cref="AnswerNumber.Read"/>, shared with verify's number check).</summary>
    public static double? ToNumber(string? answer) => AnswerNumber.Read(answer);

    /// <summary>True when two final answers mean the same: equal numbers, or equal normalised text.</summary>
    public static bool Equivalent(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return false;
        }

        if (ToNumber(a) is { } x && ToNumber(b) is { } y)
        {
            return AnswerNumber.Same(x, y);
        }

        return string.Equals(Text(a), Text(b), StringComparison.Ordinal);
    }

    private static string Text(string answer) =>
        Spaces().Replace(AnswerNumber.Clean(answer).ToLowerInvariant(), "").Trim('.', '(', ')', '{', '}');

    [GeneratedRegex(@"\s+", RegexOptions.None, 1000)]
    private static partial Regex Spaces();
}
