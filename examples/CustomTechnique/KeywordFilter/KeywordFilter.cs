using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Runtime;
using Compose.Techniques;

namespace Compose.Examples;

// A technique of one's own, complete in one file: its options record, its definition (how the options are read
// and checked, its static bounds, how it composes) and its run. See docs/techniques.md for a walk through it.
//
//   - keyword_filter: { keywords: [Canberra], mode: all, on_none: keep_all }
//
// Load it into the CLI with `compose --techniques path/to/KeywordFilter.dll ...`, or register it on a catalog:
// `TechniqueCatalog.BuiltIn.With(new KeywordFilterDefinition())`.

/// <summary>How many of the keywords a candidate must mention.</summary>
public enum KeywordMatch
{
    /// <summary>Every keyword (default).</summary>
    All,

    /// <summary>At least one keyword.</summary>
    Any,
}

/// <summary>What happens when no candidate mentions the keywords.</summary>
public enum OnNoMatch
{
    /// <summary>Every candidate continues, as if there were no filter (default); the trace records a warning.</summary>
    KeepAll,

    /// <summary>The question fails: the run reports no answer.</summary>
    Fail,
}

/// <summary>The options of one <c>keyword_filter</c> node, with its location for diagnostics.</summary>
public sealed record KeywordFilterSpec(ImmutableArray<string> Keywords, KeywordMatch Mode, OnNoMatch OnNone, SourceLocation Location)
    : TechniqueSpec(Location)
{
    public override string Kind => KeywordFilterDefinition.Name;
}

/// <summary>
/// <c>keyword_filter</c>: keeps the candidates whose text mentions the keywords (ignoring case), in input order; no
/// model call. Its diagnostics have codes of its own: KWF001 (no keywords), KWF002 (a blank keyword), KWF003 (a
/// warning: where it is, it can drop nothing).
/// </summary>
public sealed class KeywordFilterDefinition : TechniqueDefinition<KeywordFilterSpec>
{
    /// <summary>The key pipelines write.</summary>
    public const string Name = "keyword_filter";

    /// <summary><c>keywords</c> is missing or lists nothing.</summary>
    public const string NoKeywords = "KWF001";

    /// <summary>A keyword is empty or only white space: every text would mention it.</summary>
    public const string BlankKeyword = "KWF002";

    /// <summary>At most one candidate reaches it and <c>on_none: keep_all</c> keeps a lone candidate anyway (warning).</summary>
    public const string FiltersNothing = "KWF003";

    private static readonly ImmutableArray<string> ModeWords = ["all", "any"];
    private static readonly ImmutableArray<string> OnNoneWords = ["keep_all", "fail"];

    public override string Key => Name;

    public override string Summary => "Keeps the candidates that mention the keywords (ignoring case); no model call.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("keywords", "The words or phrases to look for, as a list: [Canberra, \"capital city\"]."),
        new("mode", "all (default): a candidate must mention every keyword; any: at least one.") { Words = ModeWords },
        new("on_none", "When no candidate mentions them: keep_all (default) or fail.") { Words = OnNoneWords },
    ];

    public override KeywordFilterSpec? Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var keywords = reader.Texts("keywords");
        if (!reader.Has("keywords"))
        {
            reader.Error(NoKeywords, reader.Location, "keyword_filter needs 'keywords' to look for", "add 'keywords: [WORD, ...]'");
        }
        else if (keywords is { IsEmpty: true })
        {
            reader.Error(NoKeywords, reader.ValueLocation("keywords"), "'keywords' lists no keyword", "name at least one: 'keywords: [WORD, ...]'");
        }
        else if (keywords?.FirstOrDefault(string.IsNullOrWhiteSpace) is not null)
        {
            reader.Error(BlankKeyword, reader.ValueLocation("keywords"), "'keywords' holds a blank keyword, which every candidate mentions", "remove the empty entry");
        }

        var mode = reader.Word("mode", ModeWords, [KeywordMatch.All, KeywordMatch.Any]) ?? KeywordMatch.All;
        var onNone = reader.Word("on_none", OnNoneWords, [OnNoMatch.KeepAll, OnNoMatch.Fail]) ?? OnNoMatch.KeepAll;

        // Every problem is reported above; returning null (rather than a half-read spec) stops the compile there.
        return keywords is { IsEmpty: false } list && !list.Any(string.IsNullOrWhiteSpace)
            ? new KeywordFilterSpec(list, mode, onNone, reader.Location)
            : null;
    }

    /// <summary>No model call; it passes on at most what it gets, each candidate unchanged.</summary>
    public override TechniqueBounds Bounds(KeywordFilterSpec spec, BoundsInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return TechniqueBounds.NoCalls(input.Input);
    }

    /// <summary>
    /// Over at most one candidate, <c>keep_all</c> keeps it whether or not it mentions the keywords: the filter
    /// can drop nothing there, which is worth a warning.
    /// </summary>
    public override IEnumerable<Diagnostic> Check(KeywordFilterSpec spec, CompositionInput input)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Input.Count <= 1 && spec.OnNone == OnNoMatch.KeepAll)
        {
            yield return Diagnostic.Warning(
                FiltersNothing,
                spec.Location,
                "keyword_filter gets at most one candidate and on_none is keep_all, so it can drop nothing",
                "put it after a layer that writes several candidates, or set 'on_none: fail' to fail questions whose answer lacks the keywords");
        }
    }

    public override ITechnique Create(KeywordFilterSpec spec) => new KeywordFilter(spec);
}

/// <summary>
/// The run of one <c>keyword_filter</c> node: keeps, in input order, the candidates that mention the keywords. When
/// none does, <c>keep_all</c> passes every candidate on (and records a warning in the trace) and <c>fail</c> fails
/// the question. Candidates pass unchanged: scores, critiques and verdicts travel on.
/// </summary>
public sealed class KeywordFilter(KeywordFilterSpec spec) : ITechnique
{
    public KeywordFilterSpec Spec { get; } = spec ?? throw new ArgumentNullException(nameof(spec));

    public Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        var kept = context.Input.Where(c => Mentions(c.Text)).ToImmutableArray();
        if (!kept.IsEmpty || context.Input.IsEmpty)
        {
            return Task.FromResult(kept);
        }

        var wanted = $"{(Spec.Mode == KeywordMatch.All ? "all" : "any")} of {string.Join(", ", Spec.Keywords.Select(k => $"'{k}'"))}";
        if (Spec.OnNone == OnNoMatch.Fail)
        {
            throw new QuestionFailedException($"{context.NodeId}: no candidate mentions {wanted} ({context.Input.Length} checked) and on_none is 'fail'");
        }

        context.Report(new RunWarning($"{context.NodeId}: no candidate mentions {wanted}; all {context.Input.Length} kept (on_none: keep_all)")
        {
            QuestionId = context.Question.Id,
        });
        return Task.FromResult(context.Input);
    }

    private bool Mentions(string text) => Spec.Mode == KeywordMatch.All
        ? Spec.Keywords.All(k => text.Contains(k, StringComparison.OrdinalIgnoreCase))
        : Spec.Keywords.Any(k => text.Contains(k, StringComparison.OrdinalIgnoreCase));
}
