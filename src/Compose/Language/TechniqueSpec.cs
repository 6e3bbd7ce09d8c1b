using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// One technique in a layer. Every technique carries its location, an optional model, optional
/// per-technique overrides of the defaults and prompt overrides keyed by template name.
/// </summary>
public abstract record TechniqueSpec(SourceLocation Location)
{
    /// <summary>The key used in the file (<c>generate</c>, <c>rank</c>, ...).</summary>
    public abstract string Kind { get; }

    /// <summary>An optional id (<c>id:</c>) used in traces and graphs; the compiler assigns one otherwise.</summary>
    public string? Id { get; init; }

    public double? Temperature { get; init; }

    public int? MaxTokens { get; init; }

    /// <summary>Template overrides by template name (see <c>Prompts/Templates</c>).</summary>
    public ImmutableDictionary<string, PromptOverride> Prompts { get; init; } = ImmutableDictionary<string, PromptOverride>.Empty;
}
