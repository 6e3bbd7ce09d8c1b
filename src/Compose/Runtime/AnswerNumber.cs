using System.Globalization;
using System.Text.RegularExpressions;

namespace Compose.Runtime;

/// <summary>
/// Reads a final answer as a number and compares two of them: the one routine behind verify's
/// <c>check: { number: ... }</c> and the evaluation's <c>number</c> and <c>math</c> scorers.
/// </summary>
public static partial class AnswerNumber
{
    /// <summary>The relative tolerance two non-integer answers may differ by and still be the same number.</summary>
    public const double DefaultRelativeTolerance = 1e-6;

    /// <summary>
    /// The answer as a number: drops <c>$</c>, thousands commas, <c>\text{...}</c>/<c>\mathrm{...}</c> units,
    /// unit words after the number and a trailing <c>%</c> (<c>75%</c> is 75); reads <c>a/b</c>,
    /// <c>\frac{a}{b}</c> and mixed numbers (<c>1 1/2</c>), decimals and exponents; null when it is none of these.
    /// </summary>
    public static double? Read(string? answer)
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

    /// <summary>
    /// True when <paramref name="x"/> and <paramref name="y"/> are the same answer: two whole numbers must be
    /// equal; otherwise they may differ by <paramref name="relativeTolerance"/> of the larger (absolutely near zero).
    /// </summary>
    public static bool Same(double x, double y, double relativeTolerance = DefaultRelativeTolerance) =>
        IsWhole(x) && IsWhole(y)
            ? x == y
            : Math.Abs(x - y) <= relativeTolerance * Math.Max(1, Math.Max(Math.Abs(x), Math.Abs(y)));

    /// <summary>The answer with <c>$</c>, LaTeX sizing and text commands and thousands commas taken out, trimmed.</summary>
    public static string Clean(string answer)
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

    // Whole numbers beyond 2^53 are not exact in a double; they are compared with the tolerance.
    private static bool IsWhole(double v) => Math.Abs(v) < 9007199254740992d && v == Math.Floor(v);

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
}
