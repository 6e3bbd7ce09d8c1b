using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>A model writes strengths and weaknesses of each candidate; the critique travels with it.</summary>
public sealed record CritiqueSpec(ModelRef? Model, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "critique";

    /// <summary>One call per candidate (<c>each</c>, the default) or one call that critiques them all (<c>all</c>).</summary>
    public CritiqueMode Mode { get; init; } = CritiqueMode.Each;
}

/// <summary>How a critique layer calls its model.</summary>
public enum CritiqueMode
{
    /// <summary>One call per candidate, each seeing only its candidate (default).</summary>
    Each,

    /// <summary>One call sees every candidate and writes a section per candidate (Archon's critic).</summary>
    All,
}

/// <summary>
/// <c>critique</c>: one call per candidate (<c>mode: each</c>) or one call for all of them (<c>mode: all</c>);
/// each critique is attached to its own candidate.
/// </summary>
public sealed class CritiqueDefinition : TechniqueDefinition<CritiqueSpec>
{
    private static readonly ImmutableArray<string> ModeWords = ["each", "all"];

    internal static TechniqueTemplate Prompt { get; } = TechniqueTemplate.BuiltIn("critique", DirectPrompts.Critique);

    public override string Key => "critique";

    public override string Summary => "A model writes the strengths and weaknesses of each candidate; the critique travels with it to rank and fuse.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("model", "The model that critiques (default: defaults.model)."),
        new("mode", "each (default): one call per candidate; all: one call critiques every candidate, a section each.") { Words = ModeWords },
    ];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } = [Prompt, TechniqueTemplate.BuiltIn("critique_all")];

    public override CandidateEffect Effect => CandidateEffect.Critiques;

    public override CritiqueSpec Read(TechniqueReader reader) => new(reader.Model("model"), reader.Location)
    {
        Mode = reader.Word("mode", ModeWords, [CritiqueMode.Each, CritiqueMode.All]) ?? CritiqueMode.Each,
    };

    public override IEnumerable<ModelRef?> Models(CritiqueSpec spec) => [spec.Model];

    public override TechniqueBounds Bounds(CritiqueSpec spec, BoundsInput input)
    {
        var flow = input.Input;
        var calls = spec.Mode == CritiqueMode.All
            ? ModelCalls.Of(input.Model, flow.Count > 0 ? 1 : 0, Add(input.QuestionTokens, Mul(flow.Count, flow.CandidateTokens)), input.MaxTokens)
            : ModelCalls.Of(input.Model, flow.Count, Add(input.QuestionTokens, flow.CandidateTokens), input.MaxTokens);
        return new TechniqueBounds([calls], flow with { CritiqueTokens = Add(flow.CritiqueTokens, input.MaxTokens) });
    }

    public override long CandidatesShownPerCall(CritiqueSpec spec, long candidatesIn) =>
        spec.Mode == CritiqueMode.All ? candidatesIn : Math.Min(1, candidatesIn);

    public override IEnumerable<string> TemplatesUsed(CritiqueSpec spec) => [spec.Mode == CritiqueMode.All ? "critique_all" : "critique"];

    public override ITechnique Create(CritiqueSpec spec) => new Critique(spec);
}
