using System.Globalization;
using System.Text.RegularExpressions;
using Compose.Runtime;

namespace Compose.Evaluation.Scoring;

/// <summary>Reads and compares final answers of math problems.</summary>
public static partial class MathAnswer
{
    /// <summary>The final answer of <paramref name="text"/>: <c>\boxed{}</c>, <c>####</c>, "the answer is", <c>A:</c>, else the last number.</summary>
    public static string? Extract(string? text) => text is null ? null : AnswerExtractor.Extract(text);

    /// <summary>
    /// The answer as a number: drops <c>$</c>, commas, <c>\text{...}</c>/<c>\mathrm{...}</c> units, unit
    /// words after the number and a trailing <c>%</c>; reads <c>a/b</c>, <c>\frac{a}{b}</c> and mixed numbers.
    /// </summary>
    public static double? ToNumber(string? answer)
    {
        if (string.IsNullOrWhiteSpace(answer))
        {
            return null;
        }

        var a = Clean(answer);
        var frac = Frac().Match(a);
        if (frac.Success)
        {
            return Divide(frac.Groups[1].Value, frac.Groups[2].Value, frac.Groups["neg"].Success);
        }

        var mixed = Mixed().Match(a);
        if (mixed.Success && Parse(mixed.Groups[1].Value) is { } whole && Divide(mixed.Groups[2].Value, mixed.Groups[3].Value, false) is { } part)
        {
            return whole < 0 ? whole - part : whole + part;
        }

        var ratio = Ratio().Match(a);
        if (ratio.Success)
        {
            return Divide(ratio.Groups[1].Value, ratio.Groups[2].Value, false);
        }

        var lead = LeadingNumber().Match(a);
        return lead.Success ? Parse(lead.Groups[1].Value) : null;
    }

    /// <summary>True when two final answers mean the same: equal numbers, or equal normalised text.</summary>
    public static bool Equivalent(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return false;
        }

        if (ToNumber(a) is { } x && ToNumber(b) is { } y)
        {
            return Close(x, y, 1e-6);
        }

        return string.Equals(Text(a), Text(b), StringComparison.Ordinal);
    }

    /// <summary>Equal within a relative tolerance (absolute near zero).</summary>
    public static bool Close(double x, double y, double relativeTolerance) =>
        Math.Abs(x - y) <= relativeTolerance * Math.Max(1, Math.Max(Math.Abs(x), Math.Abs(y)));

    private static string Clean(string answer)
    {
        var a = answer.Trim();
        a = TextCommand().Replace(a, "$1");
        a = a.Replace("\\$", "", StringComparison.Ordinal).Replace("$", "", StringComparison.Ordinal)
            .Replace("\\%", "%", StringComparison.Ordinal).Replace("\\!", "", StringComparison.Ordinal)
            .Replace("\\left", "", StringComparison.Ordinal).Replace("\\right", "", StringComparison.Ordinal)
            .Replace("\\dfrac", "\\frac", StringComparison.Ordinal).Replace("\\tfrac", "\\frac", StringComparison.Ordinal);
        a = ThousandsComma().Replace(a, "");
        return a.Trim().TrimEnd('.').Trim();
    }

    private static string Text(string answer) =>
        Spaces().Replace(Clean(answer).ToLowerInvariant(), "").Trim('.', '(', ')', '{', '}');

    private static double? Divide(string numerator, string denominator, bool negative) =>
        Parse(numerator) is { } n && Parse(denominator) is { } d && d != 0 ? (negative ? -n / d : n / d) : null;

    private static double? Parse(string s) =>
        double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    [GeneratedRegex(@"\\(?:text|mathrm|textbf|mbox)\{([^{}]*)\}", RegexOptions.None, 1000)]
    private static partial Regex TextCommand();

    [GeneratedRegex(@"(?<=\d),(?=\d{3}(?!\d))", RegexOptions.None, 1000)]
    private static partial Regex ThousandsComma();

    [GeneratedRegex(@"^(?<neg>-)?\\frac\{\s*(-?\d+(?:\.\d+)?)\s*\}\{\s*(-?\d+(?:\.\d+)?)\s*\}", RegexOptions.None, 1000)]
    private static partial Regex Frac();

    [GeneratedRegex(@"^(-?\d+)\s+(\d+)\s*/\s*(\d+)(?![\d.])", RegexOptions.None, 1000)]
    private static partial Regex Mixed();

    [GeneratedRegex(@"^(-?\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)(?![\d.])", RegexOptions.None, 1000)]
    private static partial Regex Ratio();

    [GeneratedRegex(@"^[^\d\-]{0,12}?(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\d/])", RegexOptions.None, 1000)]
    private static partial Regex LeadingNumber();

    [GeneratedRegex(@"\s+", RegexOptions.None, 1000)]
    private static partial Regex Spaces();
}
