using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// The keys and words the reader knows at each position of a pipeline file. Internal so that tests can
/// check that <c>schemas/pipeline.schema.json</c> describes exactly these (they must not drift). Each technique's own
/// options, words and templates are its definition's (<see cref="TechniqueSet"/>).
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

    public static ImmutableArray<string> TieBreaks { get; } = ["first", "score", "shortest"];

    public static ImmutableArray<string> Selections { get; } = ["first", "vote", "best_score", "best_logprob"];
}
