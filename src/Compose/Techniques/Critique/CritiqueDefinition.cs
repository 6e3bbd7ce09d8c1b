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
}

/// <summary><c>critique</c>: one call per candidate; each critique is attached to its own candidate.</summary>
public sealed class CritiqueDefinition : TechniqueDefinition<CritiqueSpec>
{
    internal static TechniqueTemplate Prompt { get; } = TechniqueTemplate.BuiltIn("critique");

    public override string Key => "critique";

    public override string Summary => "A model writes the strengths and weaknesses of each candidate; the critique travels with it to rank and fuse.";

    public override ImmutableArray<TechniqueOption> Options { get; } = [new("model", "The model that critiques (default: defaults.model).")];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } = [Prompt];

    public override CandidateEffect Effect => CandidateEffect.Critiques;

    public override CritiqueSpec Read(TechniqueReader reader) => new(reader.Model("model"), reader.Location);

    public override IEnumerable<ModelRef?> Models(CritiqueSpec spec) => [spec.Model];

    public override TechniqueBounds Bounds(CritiqueSpec spec, BoundsInput input)
    {
        var flow = input.Input;
        return new TechniqueBounds(
            [ModelCalls.Of(input.Model, flow.Count, Add(input.QuestionTokens, flow.CandidateTokens), input.MaxTokens)],
            flow with { CritiqueTokens = Add(flow.CritiqueTokens, input.MaxTokens) });
    }

    public override long CandidatesShownPerCall(CritiqueSpec spec, long candidatesIn) => Math.Min(1, candidatesIn);

    public override ITechnique Create(CritiqueSpec spec) => new Critique(spec);
}
