using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>A model orders the candidates and keeps the best <see cref="Keep"/>. <see cref="UseCritiques"/>: null = use them when the candidates carry critiques.</summary>
public sealed record RankSpec(ModelRef? Model, int Keep, RankMethod Method, bool? UseCritiques, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "rank";

    /// <summary>
    /// Decode the model's judgement in its form: pairwise exactly A or B, pointwise exactly a score from 1 to 10 (a
    /// choice set: <see cref="Compose.Models.ModelCapabilities.ConstrainedOutput"/>), listwise a ranking
    /// <c>[i] &gt; [j] &gt; ...</c> of the candidates' numbers (a pattern: <see cref="Compose.Models.ModelCapabilities.ConstrainedGrammar"/>).
    /// </summary>
    public bool Constrained { get; init; }
}

public enum RankMethod
{
    Listwise,
    Pairwise,
    Pointwise,
}

/// <summary><c>rank</c>: a model orders the candidates (listwise, pairwise or pointwise) and the best <c>keep</c> continue.</summary>
public sealed class RankDefinition : TechniqueDefinition<RankSpec>
{
    private static readonly ImmutableArray<string> Methods = ["listwise", "pairwise", "pointwise"];

    public override string Key => "rank";

    public override string Summary => "A model orders the candidates (one listwise call, a call per pair, or a score per candidate) and the best 'keep' continue.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("model", "The model that ranks (default: defaults.model)."),
        new("keep", "How many continue, best first (default 5)."),
        new("method", "listwise (one call), pairwise (a call per pair) or pointwise (a 1-10 score per candidate); default listwise.") { Words = Methods },
        new("use_critiques", "Show the candidates' critiques (default: when they have some)."),
        new("constrained", "Decode each judgement in its form: pairwise exactly A or B, pointwise a score 1-10 (models that constrain output to choices), listwise a ranking [i] > [j] > ... (models that constrain output to a pattern); default false."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } =
        [TechniqueTemplate.BuiltIn("rank_listwise", DirectPrompts.RankListwise), TechniqueTemplate.BuiltIn("rank_pairwise"), TechniqueTemplate.BuiltIn("rank_pointwise")];

    public override RankSpec Read(TechniqueReader reader) => new(
        reader.Model("model"),
        reader.Int("keep", 1, int.MaxValue) ?? 5,
        reader.Word("method", Methods, [RankMethod.Listwise, RankMethod.Pairwise, RankMethod.Pointwise]) ?? RankMethod.Listwise,
        reader.Bool("use_critiques"),
        reader.Location)
    {
        Constrained = reader.Bool("constrained") ?? false,
    };

    /// <summary>Only the method's own template is rendered (and checked against the model's context).</summary>
    public override IEnumerable<string> TemplatesUsed(RankSpec spec) => [spec.Method switch
    {
        RankMethod.Pairwise => "rank_pairwise",
        RankMethod.Pointwise => "rank_pointwise",
        _ => "rank_listwise",
    }];

    public override IEnumerable<ModelRef?> Models(RankSpec spec) => [spec.Model];

    public override TechniqueNeeds Needs(RankSpec spec) => new()
    {
        SeveralCandidates = true,
        Critiques = spec.UseCritiques == true,
        FromModels = !spec.Constrained ? Compose.Models.ModelCapabilities.None
            : spec.Method == RankMethod.Listwise ? Compose.Models.ModelCapabilities.ConstrainedGrammar : Compose.Models.ModelCapabilities.ConstrainedOutput,
    };

    public override IEnumerable<Diagnostic> Check(RankSpec spec, CompositionInput input)
    {
        var count = input.Input.Count;
        if (count > 1 && spec.Keep >= count)
        {
            yield return Diagnostic.Warning(
                DiagnosticCodes.RankKeepsEverything,
                spec.Location,
                $"'rank' keeps {spec.Keep} of at most {count} candidates, so it keeps everything",
                $"lower 'keep' below {count}, or remove the rank layer");
        }
    }

    public override TechniqueBounds Bounds(RankSpec spec, BoundsInput input)
    {
        var flow = input.Input;
        var n = flow.Count;
        var shown = Add(flow.CandidateTokens, spec.UseCritiques == false ? 0 : flow.CritiqueTokens);
        var call = spec.Method switch
        {
            RankMethod.Pairwise => ModelCalls.Of(input.Model, Mul(n, Math.Max(n - 1, 0)) / 2, Add(input.QuestionTokens, Mul(2, shown)), input.MaxTokens),
            RankMethod.Pointwise => ModelCalls.Of(input.Model, n, Add(input.QuestionTokens, shown), input.MaxTokens),
            _ => ModelCalls.Of(input.Model, n > 0 ? 1 : 0, Add(input.QuestionTokens, Mul(n, shown)), input.MaxTokens),
        };
        return new TechniqueBounds([call], flow with { Count = Math.Min(spec.Keep, n) });
    }

    public override long CandidatesShownPerCall(RankSpec spec, long candidatesIn) => spec.Method switch
    {
        RankMethod.Listwise => candidatesIn,
        RankMethod.Pairwise => Math.Min(2, candidatesIn),
        _ => Math.Min(1, candidatesIn),
    };

    public override ITechnique Create(RankSpec spec) => new Rank(spec);
}
