using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// The keys and words the reader knows at each position of a pipeline file. Internal so that tests can
/// check that <c>schemas/pipeline.schema.json</c> describes exactly these (they must not drift).
/// </summary>
internal static class PipelineKeys
{
    public static ImmutableArray<string> Top { get; } = ["compose", "name", "description", "models", "defaults", "budget", "layers", "output"];

    /// <summary>The keys of a model the language reads itself; every other key is a provider option.</summary>
    public static ImmutableArray<string> Model { get; } = ["provider", "concurrency"];

    public static ImmutableArray<string> Defaults { get; } = ["model", "temperature", "max_tokens", "top_p", "stop", "system", "input_tokens"];

    public static ImmutableArray<string> Budget { get; } = ["max_calls", "max_tokens", "max_cost", "prices"];

    public static ImmutableArray<string> Price { get; } = ["input", "output"];

    public static ImmutableArray<string> Output { get; } = ["select", "extract", "tie_break"];

    public static ImmutableArray<string> Check { get; } = ["regex", "number", "has_answer"];

    public static ImmutableArray<string> PromptFile { get; } = ["file"];

    /// <summary>Options every technique accepts.</summary>
    public static ImmutableArray<string> Common { get; } = ["id", "temperature", "max_tokens", "prompt", "prompts"];

    /// <summary>Each technique's own options (besides <see cref="Common"/>).</summary>
    public static ImmutableDictionary<string, ImmutableArray<string>> Techniques { get; } = new Dictionary<string, ImmutableArray<string>>
    {
        ["generate"] = ["models", "model", "samples"],
        ["critique"] = ["model"],
        ["rank"] = ["model", "keep", "method", "use_critiques"],
        ["fuse"] = ["model", "samples", "use_critiques"],
        ["verify"] = ["model", "check", "on_none"],
        ["refine"] = ["model", "rounds", "until", "verifier", "check"],
        ["vote"] = ["extract", "tie_break"],
        ["unit_tests"] = ["model", "count", "keep"],
    }.ToImmutableDictionary(StringComparer.Ordinal);

    /// <summary>The technique names in the order they are documented.</summary>
    public static ImmutableArray<string> TechniqueNames { get; } = ["generate", "critique", "rank", "fuse", "verify", "refine", "vote", "unit_tests"];

    /// <summary>The prompt templates each technique may override; <c>prompt:</c> overrides the first.</summary>
    public static ImmutableDictionary<string, ImmutableArray<string>> Templates { get; } = new Dictionary<string, ImmutableArray<string>>
    {
        ["generate"] = ["generate"],
        ["critique"] = ["critique"],
        ["rank"] = ["rank_listwise", "rank_pairwise", "rank_pointwise"],
        ["fuse"] = ["fuse"],
        ["verify"] = ["verify"],
        ["refine"] = ["critique", "revise", "verify"],
        ["vote"] = [],
        ["unit_tests"] = ["unit_tests_write", "unit_tests_check"],
    }.ToImmutableDictionary(StringComparer.Ordinal);

    public static ImmutableArray<string> RankMethods { get; } = ["listwise", "pairwise", "pointwise"];

    public static ImmutableArray<string> OnNone { get; } = ["keep_all", "keep_best", "fail"];

    public static ImmutableArray<string> RefineStops { get; } = ["verified", "unchanged"];

    public static ImmutableArray<string> TieBreaks { get; } = ["first", "score", "shortest"];

    public static ImmutableArray<string> Selections { get; } = ["first", "vote", "best_score", "best_logprob"];
}
