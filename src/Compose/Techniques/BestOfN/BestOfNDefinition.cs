using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>Best-of-n by an outcome reward: score every candidate, keep the best.</summary>
public sealed record BestOfNSpec(RewardSpec? Reward, int Keep, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "best_of_n";
}

/// <summary><c>best_of_n</c>: an outcome reward scores each candidate (one judgement each, side by side); the best <c>keep</c> pass on, best first.</summary>
public sealed class BestOfNDefinition : TechniqueDefinition<BestOfNSpec>
{
    public override string Key => "best_of_n";

    public override string Summary => "Best-of-n by an outcome reward: a model's judgement (P(\"yes\") or a 0-10 score) or a check scores every candidate; the best 'keep' pass on, best first.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        Reward.Option("The outcome reward that scores each whole answer: a model (P(\"yes\") or a 0-10 score) or a check."),
        new("keep", "Candidates passed on, 1..1000 (default 1)."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates => Reward.Templates;

    public override BestOfNSpec Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var reward = reader.Reward();
        if (!reader.Has("reward"))
        {
            reader.Error(DiagnosticCodes.MissingOption, reader.Location, "best_of_n needs a 'reward' to score the candidates",
                "add 'reward: MODEL' (a model judges each answer) or 'reward: { check: { number: true } }'");
        }
        else if (reward is { Aggregate: not RewardAggregate.Last })
        {
            reader.Warning(DiagnosticCodes.UnusedOption, reader.ValueLocation("reward"), "best_of_n scores whole answers, so 'aggregate' (which combines step scores) has no effect",
                "remove 'aggregate'");
        }

        return new BestOfNSpec(reward, reader.Int("keep", 1, 1000) ?? 1, reader.Location);
    }

    public override IEnumerable<ModelRef?> Models(BestOfNSpec spec) => Reward.ModelsOf(spec.Reward);

    public override IEnumerable<string> TemplatesUsed(BestOfNSpec spec) => Reward.OutcomeTemplatesUsed(spec.Reward);

    public override TechniqueNeeds Needs(BestOfNSpec spec) => Reward.SelectionNeeds(spec.Reward);

    public override TechniqueBounds Bounds(BestOfNSpec spec, BoundsInput input) => Reward.SelectionBounds(spec.Reward, spec.Keep, input);

    public override long CandidatesShownPerCall(BestOfNSpec spec, long candidatesIn) => Math.Min(1, candidatesIn);

    public override ITechnique Create(BestOfNSpec spec) => new BestOfN(spec);
}
