using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Compose.Language;

/// <summary>Typed value readers: each reports a diagnostic at the value and returns null when the value is unusable.</summary>
internal sealed partial class SpecBuilder
{
    private static readonly string[] NullWords = ["", "~", "null", "Null", "NULL"];

    /// <summary>
    /// The known entries of a mapping by key (first occurrence). Reports keys that are not scalars,
    /// duplicates (at the second occurrence) and unknown keys (with a suggestion).
    /// </summary>
    private Dictionary<string, YEntry> Fields(YMapping mapping, IReadOnlyCollection<string> allowed, string where)
    {
        var fields = new Dictionary<string, YEntry>(StringComparer.Ordinal);
        foreach (var entry in mapping.Entries)
        {
            if (!CheckKey(entry, out var name))
            {
                continue;
            }

            if (fields.ContainsKey(name))
            {
                Error(DiagnosticCodes.DuplicateKey, entry.Key.Location, $"duplicate key '{name}' in {where}", "remove one of the two; the first one is used");
                continue;
            }

            if (!allowed.Contains(name))
            {
                Error(DiagnosticCodes.UnknownKey, entry.Key.Location, $"unknown key '{name}' in {where}", DidYouMean.Hint(name, allowed, "valid keys"));
                continue;
            }

            fields[name] = entry;
        }

        return fields;
    }

    /// <summary>Checks that a key is a non-empty scalar; reports it otherwise.</summary>
    private bool CheckKey(YEntry entry, out string name)
    {
        if (entry.Key is YScalar scalar && !scalar.IsNull)
        {
            name = scalar.Value;
            return true;
        }

        name = "";
        Error(
            DiagnosticCodes.InvalidKey,
            entry.Key.Location,
            entry.Key is YScalar ? "a key is empty" : $"a key must be a word, got {entry.Key.Describe()}",
            "write keys as plain words followed by ':'");
        return false;
    }

    private YMapping? Mapping(YNode node, string what, string? hint = null)
    {
        if (node is YMapping mapping)
        {
            return mapping;
        }

        Error(DiagnosticCodes.WrongType, node.Location, $"{what} must be a mapping of keys, got {node.Describe()}", hint);
        return null;
    }

    private YScalar? Scalar(YNode node, string what, string expected)
    {
        if (node is YScalar scalar && !scalar.IsNull)
        {
            return scalar;
        }

        Error(DiagnosticCodes.WrongType, node.Location, $"{what} must be {expected}, got {node.Describe()}");
        return null;
    }

    internal string? Text(YNode node, string what) => Scalar(node, what, "a text")?.Value;

    internal int? Int(YNode node, string what, int min, int max) => (int?)Long(node, what, min, max);

    private long? Long(YNode node, string what, long min, long max)
    {
        if (Scalar(node, what, "an integer") is not { } scalar)
        {
            return null;
        }

        if (!scalar.IsPlain || !long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            var hint = scalar.IsPlain && double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                ? "write a whole number"
                : !scalar.IsPlain && long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? "remove the quotes" : null;
            Error(DiagnosticCodes.WrongType, node.Location, $"{what} must be an integer, got {scalar.Describe()}", hint);
            return null;
        }

        if (value < min || value > max)
        {
            Error(DiagnosticCodes.OutOfRange, node.Location, $"{what} must be {RangeText(min, max)}, got {value}");
            return null;
        }

        return value;
    }

    private static string RangeText(long min, long max) =>
        max >= int.MaxValue ? $"at least {min}" : $"between {min} and {max}";

    internal double? Double(YNode node, string what, double min, double max, bool minExclusive = false)
    {
        if (Scalar(node, what, "a number") is not { } scalar)
        {
            return null;
        }

        if (!scalar.IsPlain || !double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            Error(DiagnosticCodes.WrongType, node.Location, $"{what} must be a number, got {scalar.Describe()}", scalar.IsPlain ? null : "remove the quotes");
            return null;
        }

        if (value < min || value > max || (minExclusive && value <= min))
        {
            var range = minExclusive ? $"greater than {Num(min)} and at most {Num(max)}" : $"between {Num(min)} and {Num(max)}";
            Error(DiagnosticCodes.OutOfRange, node.Location, $"{what} must be {range}, got {scalar.Value}");
            return null;
        }

        return value;
    }

    private static string Num(double value) => value.ToString(CultureInfo.InvariantCulture);

    private decimal? Money(YNode node, string what)
    {
        if (Scalar(node, what, "a number") is not { } scalar)
        {
            return null;
        }

        if (!scalar.IsPlain || !decimal.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            Error(DiagnosticCodes.WrongType, node.Location, $"{what} must be a number, got {scalar.Describe()}", scalar.IsPlain ? null : "remove the quotes");
            return null;
        }

        if (value < 0)
        {
            Error(DiagnosticCodes.OutOfRange, node.Location, $"{what} must be at least 0, got {scalar.Value}");
            return null;
        }

        return value;
    }

    internal bool? Bool(YNode node, string what)
    {
        if (Scalar(node, what, "true or false") is not { } scalar)
        {
            return null;
        }

        if (scalar.IsPlain)
        {
            switch (scalar.Value)
            {
                case "true" or "True" or "TRUE":
                    return true;
                case "false" or "False" or "FALSE":
                    return false;
            }
        }

        Error(DiagnosticCodes.WrongType, node.Location, $"{what} must be true or false, got {scalar.Describe()}", "write true or false");
        return null;
    }

    /// <summary>One of <paramref name="words"/>, mapped to the value at the same index.</summary>
    internal T? Word<T>(YNode node, string what, ImmutableArray<string> words, T[] values)
        where T : struct
    {
        if (Scalar(node, what, $"one of {string.Join(", ", words)}") is not { } scalar)
        {
            return null;
        }

        var index = words.IndexOf(scalar.Value);
        if (index < 0)
        {
            Error(DiagnosticCodes.InvalidEnumValue, node.Location, $"{what} must be one of {string.Join(", ", words)}, got '{scalar.Value}'", DidYouMean.Hint(scalar.Value, words));
            return null;
        }

        return values[index];
    }

    /// <summary>A regular expression that compiles (and has a capture group when <paramref name="needsGroup"/>).</summary>
    internal string? Pattern(YNode node, string what, bool needsGroup)
    {
        if (Scalar(node, what, "a regular expression") is not { } scalar)
        {
            return null;
        }

        try
        {
            var regex = new Regex(scalar.Value, RegexOptions.None, TimeSpan.FromSeconds(1));
            if (needsGroup && regex.GetGroupNumbers().Length < 2)
            {
                Error(DiagnosticCodes.RegexNeedsGroup, node.Location, $"{what} must capture the answer in a group, but '{scalar.Value}' has none", "wrap the answer part in parentheses, e.g. 'answer: (\\d+)'");
                return null;
            }
        }
        catch (ArgumentException exception)
        {
            Error(DiagnosticCodes.InvalidRegex, node.Location, $"{what} is not a valid regular expression: {exception.Message}", "fix the pattern (.NET regular expression syntax); in YAML prefer single quotes so backslashes stay as written");
            return null;
        }

        return scalar.Value;
    }

    /// <summary>A provider option value kept as a located tree; shared (aliased) nodes are converted once.</summary>
    private SpecNode ToSpec(YNode node)
    {
        if (_converted.TryGetValue(node, out var done))
        {
            return done;
        }

        SpecNode result = node switch
        {
            YScalar scalar => new SpecScalar(scalar.IsPlain && NullWords.Contains(scalar.Value) ? "" : scalar.Value, scalar.Location),
            YSequence sequence => new SpecSequence([.. sequence.Items.Select(ToSpec)], sequence.Location),
            YMapping mapping => ToSpecMapping(mapping, "provider options"),
            _ => new SpecScalar("", node.Location),
        };
        _converted[node] = result;
        return result;
    }

    private SpecMapping ToSpecMapping(YMapping mapping, string where, IReadOnlyCollection<string>? skip = null)
    {
        var entries = ImmutableArray.CreateBuilder<SpecEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in mapping.Entries)
        {
            if (!CheckKey(entry, out var name))
            {
                continue;
            }

            if (!seen.Add(name))
            {
                Error(DiagnosticCodes.DuplicateKey, entry.Key.Location, $"duplicate key '{name}' in {where}", "remove one of the two; the first one is used");
                continue;
            }

            if (skip?.Contains(name) == true)
            {
                continue;
            }

            entries.Add(new SpecEntry(name, entry.Key.Location, ToSpec(entry.Value)));
        }

        return new SpecMapping(entries.ToImmutable(), mapping.Location);
    }

    internal void Error(string code, SourceLocation location, string message, string? hint = null) =>
        _diagnostics.Add(Diagnostic.Error(code, location, message, hint));

    internal void Warning(string code, SourceLocation location, string message, string? hint = null) =>
        _diagnostics.Add(Diagnostic.Warning(code, location, message, hint));

    internal int ErrorCount => _diagnostics.Count(d => d.IsError);
}
