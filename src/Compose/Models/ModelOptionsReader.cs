using System.Collections.Immutable;
using System.Globalization;
using Compose.Language;

namespace Compose.Models;

/// <summary>
/// Reads and checks the options of a model (<see cref="ModelSpec.Options"/>) for its provider. Every reader method
/// reports a problem as a located diagnostic (at the value; an unknown option at its key; a missing one at the model)
/// and returns null, so a provider reads all its options in one pass and the user sees every problem at once.
/// Each problem is worded by the <see cref="OptionProblem"/> the provider passes, or by the standard wording with
/// the language's codes (<see cref="DiagnosticCodes.UnknownKey"/>, <see cref="DiagnosticCodes.WrongType"/>,
/// <see cref="DiagnosticCodes.OutOfRange"/>, <see cref="DiagnosticCodes.InvalidEnumValue"/>,
/// <see cref="DiagnosticCodes.MissingKey"/>) when it passes none.
/// An option is reported at most once: once reported (or <see cref="Add">refused</see> by the provider), later reads
/// of it return null and report nothing more, except <see cref="Required"/>, for which it is missing.
/// </summary>
public sealed class ModelOptionsReader
{
    private readonly List<Diagnostic> _diagnostics;
    private readonly int _start;
    private readonly SpecMapping _options;
    private readonly SourceLocation _location;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    /// <param name="provider">The provider's name, for the standard wording ("unknown option 'x' for a scripted model").</param>
    /// <param name="spec">The model whose options are read.</param>
    /// <param name="diagnostics">Where problems are added.</param>
    public ModelOptionsReader(string provider, ModelSpec spec, List<Diagnostic> diagnostics)
        : this(provider, spec, diagnostics, spec?.Options!, spec?.Location ?? SourceLocation.None)
    {
    }

    private ModelOptionsReader(string provider, ModelSpec spec, List<Diagnostic> diagnostics, SpecMapping options, SourceLocation location)
    {
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(diagnostics);
        Provider = provider;
        Spec = spec;
        _diagnostics = diagnostics;
        _start = diagnostics.Count;
        _options = options;
        _location = location;
    }

    public string Provider { get; }

    public ModelSpec Spec { get; }

    /// <summary>Values are trimmed before they are checked, given to messages and returned.</summary>
    public bool TrimValues { get; init; }

    /// <summary>
    /// How a list or mapping written where a single value belongs is reported, whichever method reads it (given the
    /// key); null to report it with the reading method's own problem (given "").
    /// </summary>
    public OptionProblem? NotScalar { get; init; }

    /// <summary>True when an error was added to the diagnostics since this reader was made.</summary>
    public bool HasErrors
    {
        get
        {
            for (var i = _start; i < _diagnostics.Count; i++)
            {
                if (_diagnostics[i].IsError)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// A reader of a mapping nested in the options (a rule, an entry of a list), with the same provider, diagnostics
    /// and settings; a missing key is reported at that mapping.
    /// </summary>
    public ModelOptionsReader Within(SpecMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        return new ModelOptionsReader(Provider, Spec, _diagnostics, mapping, mapping.Location)
        {
            TrimValues = TrimValues,
            NotScalar = NotScalar,
        };
    }

    /// <summary>
    /// Reports every option that is not one of <paramref name="keys"/>, at its key, in the order written.
    /// Standard wording: "unknown option 'x' for a P model", with a did-you-mean among <paramref name="keys"/> or their list.
    /// Keys in <paramref name="alsoAccepted"/> pass without a word (and are not suggested); keys already reported are skipped.
    /// </summary>
    public void Known(IReadOnlyCollection<string> keys, OptionProblem? unknown = null, IReadOnlyCollection<string>? alsoAccepted = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var entry in _options.Entries)
        {
            if (keys.Contains(entry.Key) || alsoAccepted?.Contains(entry.Key) == true || !_reported.Add(entry.Key))
            {
                continue;
            }

            Report(unknown, DiagnosticCodes.UnknownKey, entry.KeyLocation, entry.Key,
                () => $"unknown option '{entry.Key}' for a {Provider} model",
                () => DidYouMean.Hint(entry.Key, keys, $"{Provider} models take"));
        }
    }

    /// <summary>
    /// A text; null when absent, or when not a single value or refused by <paramref name="valid"/> (reported).
    /// Standard wording: "x must be a text", or "'v' is not a valid x".
    /// </summary>
    public string? Text(string key, OptionProblem? bad = null, Func<string, bool>? valid = null)
    {
        if (!TryScalar(key, bad, () => $"{key} must be a text", out var node, out var value))
        {
            return null;
        }

        if (valid is not null && !valid(value))
        {
            Fail(key, node, bad, DiagnosticCodes.InvalidEnumValue, value, () => $"'{value}' is not a valid {key}");
            return null;
        }

        return value;
    }

    /// <summary>
    /// A single value that must be written; null when it is absent, not a single value, or empty as
    /// <paramref name="text"/> says (reported at the model when absent, else at the value: every provider points at what
    /// is written). Standard wording: "a P model needs 'x'".
    /// </summary>
    public SpecScalar? Required(string key, OptionProblem? missing = null, RequiredText text = RequiredText.NotBlank)
    {
        var node = _options[key];
        if (node is null)
        {
            Report(missing, DiagnosticCodes.MissingKey, _location, "", () => $"a {Provider} model needs '{key}'");
            return null;
        }

        if (!_reported.Contains(key))
        {
            if (node is SpecScalar scalar)
            {
                var value = TrimValues ? scalar.Value.Trim() : scalar.Value;
                var present = text switch
                {
                    RequiredText.MayBeEmpty => true,
                    RequiredText.NotEmpty => value.Length > 0,
                    _ => !string.IsNullOrWhiteSpace(value),
                };
                if (present)
                {
                    return value == scalar.Value ? scalar : scalar with { Value = value };
                }
            }
            else if (NotScalar is not null)
            {
                Report(NotScalar, DiagnosticCodes.WrongType, node.Location, key, () => $"{key} must be a single value, not a list or mapping");
            }

            _reported.Add(key);
        }

        Report(missing, DiagnosticCodes.MissingKey, node.Location, "", () => $"a {Provider} model needs '{key}'");
        return null;
    }

    /// <summary>
    /// A whole number from <paramref name="min"/> to <paramref name="max"/>; null when absent or unusable (reported).
    /// Standard wording: "x must be a whole number between min and max" (or "of at least min").
    /// </summary>
    public int? Int(string key, int min, int max, OptionProblem? bad = null)
    {
        var message = () => max == int.MaxValue
            ? $"{key} must be a whole number of at least {Num(min)}"
            : $"{key} must be a whole number between {Num(min)} and {Num(max)}";
        if (!TryScalar(key, bad, message, out var node, out var value))
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            Fail(key, node, bad, DiagnosticCodes.WrongType, value, message);
            return null;
        }

        if (number < min || number > max)
        {
            Fail(key, node, bad, DiagnosticCodes.OutOfRange, value, message);
            return null;
        }

        return number;
    }

    /// <summary>
    /// A finite number from <paramref name="min"/> (excluded when <paramref name="minExclusive"/>) to
    /// <paramref name="max"/>; null when absent or unusable (reported).
    /// Standard wording: "x must be a number between min and max" (or "greater than min and at most max").
    /// </summary>
    public double? Double(string key, double min, double max, OptionProblem? bad = null, bool minExclusive = false) =>
        Number(key, min, max, minExclusive, bad, () => minExclusive
            ? $"{key} must be a number greater than {Num(min)} and at most {Num(max)}"
            : $"{key} must be a number between {Num(min)} and {Num(max)}");

    /// <summary>
    /// A duration written as a number of milliseconds from 0 to <paramref name="max"/> (<c>latency_ms: 50</c>);
    /// null when absent or unusable (reported). Standard wording: "x must be a number of milliseconds between 0 and max".
    /// </summary>
    public TimeSpan? Milliseconds(string key, double max, OptionProblem? bad = null) =>
        Number(key, 0, max, minExclusive: false, bad, () => $"{key} must be a number of milliseconds between 0 and {Num(max)}") is { } ms
            ? TimeSpan.FromMilliseconds(ms)
            : null;

    /// <summary>true or false (also True, TRUE, False, FALSE); null when absent or unusable (reported). Standard wording: "x must be true or false".</summary>
    public bool? Bool(string key, OptionProblem? bad = null)
    {
        var message = () => $"{key} must be true or false";
        if (!TryScalar(key, bad, message, out var node, out var value))
        {
            return null;
        }

        switch (value)
        {
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
            default:
                Fail(key, node, bad, DiagnosticCodes.WrongType, value, message, () => $"write {key}: true or {key}: false");
                return null;
        }
    }

    /// <summary>
    /// One of <paramref name="words"/> (exact spelling); null when absent or unusable (reported).
    /// Standard wording: "x must be one of a, b", with a did-you-mean among the words or their list.
    /// </summary>
    public string? Word(string key, IReadOnlyList<string> words, OptionProblem? bad = null)
    {
        ArgumentNullException.ThrowIfNull(words);
        var message = () => $"{key} must be one of {string.Join(", ", words)}";
        if (!TryScalar(key, bad, message, out var node, out var value))
        {
            return null;
        }

        if (!words.Contains(value, StringComparer.Ordinal))
        {
            Fail(key, node, bad, DiagnosticCodes.InvalidEnumValue, value, message, () => DidYouMean.Hint(value, words));
            return null;
        }

        return value;
    }

    /// <summary>The items of a list; null when absent or not a list (reported). Standard wording: "x must be a list".</summary>
    public ImmutableArray<SpecNode>? List(string key, OptionProblem? bad = null)
    {
        var node = _options[key];
        if (node is null || _reported.Contains(key))
        {
            return null;
        }

        if (node is SpecSequence sequence)
        {
            return sequence.Items;
        }

        Fail(key, node, bad, DiagnosticCodes.WrongType, node is SpecScalar scalar ? Trimmed(scalar) : "", () => $"{key} must be a list");
        return null;
    }

    /// <summary>
    /// Adds a provider's own diagnostic about <paramref name="key"/> (a check no reader method makes); the option is
    /// then reported: <see cref="Known"/> skips it and reads of it return null without reporting again.
    /// </summary>
    public void Add(string key, Diagnostic diagnostic)
    {
        ArgumentNullException.ThrowIfNull(diagnostic);
        _reported.Add(key);
        _diagnostics.Add(diagnostic);
    }

    private double? Number(string key, double min, double max, bool minExclusive, OptionProblem? bad, Func<string> message)
    {
        if (!TryScalar(key, bad, message, out var node, out var value))
        {
            return null;
        }

        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
        {
            Fail(key, node, bad, DiagnosticCodes.WrongType, value, message);
            return null;
        }

        if (number < min || number > max || (minExclusive && number <= min))
        {
            Fail(key, node, bad, DiagnosticCodes.OutOfRange, value, message);
            return null;
        }

        return number;
    }

    /// <summary>The value of <paramref name="key"/> when it is written, not yet reported, and a single value; else reports a list or mapping.</summary>
    private bool TryScalar(string key, OptionProblem? bad, Func<string> message, out SpecNode node, out string value)
    {
        node = _options[key]!;
        value = "";
        if (node is null || _reported.Contains(key))
        {
            return false;
        }

        if (node is SpecScalar scalar)
        {
            value = Trimmed(scalar);
            return true;
        }

        if (NotScalar is not null)
        {
            _reported.Add(key);
            Report(NotScalar, DiagnosticCodes.WrongType, node.Location, key, () => $"{key} must be a single value, not a list or mapping");
        }
        else
        {
            Fail(key, node, bad, DiagnosticCodes.WrongType, "", message);
        }

        return false;
    }

    private string Trimmed(SpecScalar scalar) => TrimValues ? scalar.Value.Trim() : scalar.Value;

    private void Fail(string key, SpecNode node, OptionProblem? bad, string standardCode, string about, Func<string> message, Func<string?>? hint = null)
    {
        _reported.Add(key);
        Report(bad, standardCode, node.Location, about, message, hint);
    }

    /// <summary>Adds the diagnostic for <paramref name="problem"/>, or the standard one when it is null or leaves its wording out.</summary>
    private void Report(OptionProblem? problem, string standardCode, SourceLocation location, string about, Func<string> message, Func<string?>? hint = null)
    {
        string text;
        string? hintText;
        if (problem?.Message is { } own)
        {
            text = own(about);
            hintText = problem.Hint?.Invoke(about);
        }
        else
        {
            text = message();
            hintText = problem?.Hint is { } ownHint ? ownHint(about) : hint?.Invoke();
        }

        _diagnostics.Add(new Diagnostic(
            problem?.Code ?? standardCode,
            problem?.Severity ?? DiagnosticSeverity.Error,
            text,
            location,
            hintText));
    }

    private static string Num(double value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What <see cref="ModelOptionsReader.Required"/> counts as written.</summary>
public enum RequiredText
{
    /// <summary>Any single value, even an empty one.</summary>
    MayBeEmpty,

    /// <summary>A single value that is not empty.</summary>
    NotEmpty,

    /// <summary>A single value with something other than white space.</summary>
    NotBlank,
}
