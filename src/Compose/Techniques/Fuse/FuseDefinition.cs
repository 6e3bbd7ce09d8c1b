using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>A model reads all candidates (and critiques) and writes <see cref="Samples"/> fused answers. <see cref="UseCritiques"/>: null = use them when present.</summary>
public sealed record FuseSpec(ModelRef? Model, int Samples, bool? UseCritiques, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "fuse";
}

/// <summary><c>fuse</c>: a model reads every candidate (and its critiques) and writes <c>samples</c> new answers.</summary>
public sealed class FuseDefinition : TechniqueDefinition<FuseSpec>
{
    public override string Key => "fuse";

    public override string Summary => "A model reads every candidate (and its critiques) and writes 'samples' fused answers.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("model", "The model that fuses (default: defaults.model)."),
        new("samples", "Fused answers to write, 1..100 (default 1)."),
        new("use_critiques", "Show the candidates' critiques (default: when they have some)."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } = [TechniqueTemplate.BuiltIn("fuse", DirectPrompts.Fuse)];

    public override CandidateEffect Effect => CandidateEffect.Writes;

    public override FuseSpec Read(TechniqueReader reader) =>
        new(reader.Model("model"), reader.Int("samples", 1, 100) ?? 1, reader.Bool("use_critiques"), reader.Location);

    public override IEnumerable<ModelRef?> Models(FuseSpec spec) => [spec.Model];

    public override TechniqueNeeds Needs(FuseSpec spec) => new() { SeveralCandidates = true, Critiques = spec.UseCritiques == true };

    public override TechniqueBounds Bounds(FuseSpec spec, BoundsInput input)
    {
        var flow = input.Input;
        var shown = Add(flow.CandidateTokens, spec.UseCritiques == false ? 0 : flow.CritiqueTokens);
        return new TechniqueBounds(
            [ModelCalls.Of(input.Model, spec.Samples, Add(input.QuestionTokens, Mul(flow.Count, shown)), input.MaxTokens)],
            new CandidateFlow(spec.Samples, input.MaxTokens, 0));
    }

    public override long CandidatesShownPerCall(FuseSpec spec, long candidatesIn) => candidatesIn;

    public override ITechnique Create(FuseSpec spec) => new Fuse(spec);
}
