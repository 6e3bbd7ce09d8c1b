using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// Reads the options of one technique from its located spec node. Every reader reports a problem as a located
/// diagnostic (wrong type, out of range, not one of the words, with a did-you-mean) and returns null, so a
/// technique reads all its options in one pass and the user sees every problem at once. Unknown and duplicate
/// keys are reported before <c>Read</c> runs: only the technique's declared options (and the common ones) get here.
/// </summary>
public sealed class TechniqueReader
{
    private readonly SpecBuilder _builder;
    private readonly Dictionary<string, YEntry> _fields;

    internal TechniqueReader(SpecBuilder builder, Dictionary<string, YEntry> fields, string key, SourceLocation location)
    {
        _builder = builder;
        _fields = fields;
        Key = key;
        Location = location;
    }

    /// <summary>The technique's key as written (<c>rank</c>, <c>keyword_filter</c>, ...).</summary>
    public string Key { get; }

    /// <summary>Where the technique's key is: the location of its spec and of problems that belong to it as a whole.</summary>
    public SourceLocation Location { get; }

    /// <summary>True when <paramref name="option"/> is written (even with an unusable value).</summary>
    public bool Has(string option) => _fields.ContainsKey(option);

    /// <summary>Where <paramref name="option"/>'s key is; <see cref="SourceLocation.None"/> when it is not written.</summary>
    public SourceLocation KeyLocation(string option) => _fields.TryGetValue(option, out var entry) ? entry.Key.Location : SourceLocation.None;

    /// <summary>Where <paramref name="option"/>'s value is; <see cref="SourceLocation.None"/> when it is not written.</summary>
    public SourceLocation ValueLocation(string option) => _fields.TryGetValue(option, out var entry) ? entry.Value.Location : SourceLocation.None;

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>]; null when absent or unusable (reported).</summary>
    public int? Int(string option, int min, int max) =>
        _fields.TryGetValue(option, out var entry) ? _builder.Int(entry.Value, option, min, max) : null;

    /// <summary>A number in [<paramref name="min"/>, <paramref name="max"/>]; null when absent or unusable (reported).</summary>
    public double? Double(string option, double min, double max) =>
        _fields.TryGetValue(option, out var entry) ? _builder.Double(entry.Value, option, min, max) : null;

    /// <summary>true or false; null when absent or unusable (reported).</summary>
    public bool? Bool(string option) =>
        _fields.TryGetValue(option, out var entry) ? _builder.Bool(entry.Value, option) : null;

    /// <summary>A text; null when absent or not a scalar (reported).</summary>
    public string? Text(string option) =>
        _fields.TryGetValue(option, out var entry) ? _builder.Text(entry.Value, option) : null;

    /// <summary>
    /// A list of texts (<c>keywords: [alpha, beta]</c>); null when absent or unusable (reported: a value that is not a
    /// list, with a hint when a single text is written, or an item that is not a text). An empty list is returned as such.
    /// </summary>
    public ImmutableArray<string>? Texts(string option) =>
        _fields.TryGetValue(option, out var entry) ? _builder.TextList(entry) : null;

    /// <summary>One of <paramref name="words"/>, mapped to the value at the same index; null when absent or unknown (reported, with a did-you-mean).</summary>
    public T? Word<T>(string option, ImmutableArray<string> words, T[] values)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(values);
        if (words.Length != values.Length)
        {
            throw new ArgumentException("Each word needs its value.", nameof(values));
        }

        return _fields.TryGetValue(option, out var entry) ? _builder.Word(entry.Value, option, words, values) : null;
    }

    /// <summary>A model name, located at its value (the compiler checks that it is defined); null when absent.</summary>
    public ModelRef? Model(string option) => _builder.ModelOf(_fields, option);

    /// <summary>
    /// A list of model names; null when absent or not a list (reported). <paramref name="single"/> names the option
    /// that takes one model, for the hint when a single name is written.
    /// </summary>
    public ImmutableArray<ModelRef>? Models(string option, string? single = null) =>
        _fields.TryGetValue(option, out var entry) ? _builder.ModelList(entry, single) : null;

    /// <summary>A .NET regular expression that compiles (with a capture group when <paramref name="needsGroup"/>); null when absent or invalid (reported).</summary>
    public string? Pattern(string option, bool needsGroup) =>
        _fields.TryGetValue(option, out var entry) ? _builder.Pattern(entry.Value, option, needsGroup) : null;

    /// <summary>A program check (<c>{ regex: ... }</c>, <c>{ number: ... }</c>, <c>{ has_answer: true }</c>); null when absent or invalid (reported).</summary>
    public CheckSpec? Check(string option = "check") => _builder.CheckOf(_fields, option);

    /// <summary>
    /// A reward (<c>reward: MODEL</c> or <c>{ model | check, judge, aggregate }</c>, see <see cref="RewardSpec"/>); null when
    /// absent or invalid (reported).
    /// </summary>
    public RewardSpec? Reward(string option = "reward") => _builder.RewardOf(_fields, option);

    /// <summary>Reports an error; the pipeline does not compile.</summary>
    public void Error(string code, SourceLocation location, string message, string? hint = null) => _builder.Error(code, location, message, hint);

    /// <summary>Reports a warning; the pipeline still compiles.</summary>
    public void Warning(string code, SourceLocation location, string message, string? hint = null) => _builder.Warning(code, location, message, hint);
}
