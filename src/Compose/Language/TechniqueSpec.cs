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

/// <summary>Each model produces <see cref="Samples"/> candidates.</summary>
public sealed record GenerateSpec(ImmutableArray<ModelRef> Models, int Samples, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "generate";
}

/// <summary>A model writes strengths and weaknesses of each candidate; the critique travels with it.</summary>
public sealed record CritiqueSpec(ModelRef? Model, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "critique";
}

/// <summary>A model orders the candidates and keeps the best <see cref="Keep"/>. <see cref="UseCritiques"/>: null = use them when the candidates carry critiques.</summary>
public sealed record RankSpec(ModelRef? Model, int Keep, RankMethod Method, bool? UseCritiques, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "rank";
}

/// <summary>A model reads all candidates (and critiques) and writes <see cref="Samples"/> fused answers. <see cref="UseCritiques"/>: null = use them when present.</summary>
public sealed record FuseSpec(ModelRef? Model, int Samples, bool? UseCritiques, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "fuse";
}

/// <summary>A model or a program check judges each candidate; failures are dropped.</summary>
public sealed record VerifySpec(ModelRef? Model, CheckSpec? Check, OnNonePass OnNone, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "verify";
}

/// <summary>Critique then revise each candidate, up to <see cref="Rounds"/> times or until the stop condition holds.</summary>
public sealed record RefineSpec(ModelRef? Model, int Rounds, RefineStop? Until, ModelRef? Verifier, CheckSpec? Check, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "refine";
}

/// <summary>Self-consistency: extract each candidate's answer and keep the candidates of the most frequent one.</summary>
public sealed record VoteSpec(string? Extract, TieBreak TieBreak, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "vote";
}

/// <summary>A model writes <see cref="Count"/> tests for the question; each candidate is checked and the top <see cref="Keep"/> kept.</summary>
public sealed record UnitTestsSpec(ModelRef? Model, int Count, int Keep, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "unit_tests";
}
