using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>Best-of-majority: keep the candidates of the frequent answers, then pick by a reward (or by log-probability).</summary>
public sealed record BestOfMajoritySpec(RewardSpec? Reward, double MinShare, int Keep, string? Extract, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "best_of_majority";
}

/// <summary><c>best_of_majority</c>: a frequency filter, then a reward (or the mean token log-probability) chooses.</summary>
public sealed class BestOfMajorityDefinition : TechniqueDefinition<BestOfMajoritySpec>
{
    public override string Key => "best_of_majority";

    public override string Summary =>
        "Best-of-Majority: keeps the candidates whose answer has at least 'min_share' of the votes, then the best 'keep' by an outcome reward, or by mean token log-probability when no reward is given.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        Reward.Option("The outcome reward that chooses among the frequent answers' candidates (default: none; the mean token log-probability chooses)."),
        new("min_share", "The share of the votes an answer needs to stay, 0..1 (default 0.2); the most frequent answer always stays."),
        new("keep", "Candidates passed on, best first, 1..1000 (default 1)."),
        new("extract", "A regular expression whose first group is the answer (default: the built-in answer extractor)."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates => Reward.Templates;

    public override BestOfMajoritySpec Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var reward = reader.Reward();
        if (reward is { Aggregate: not RewardAggregate.Last })
        {
            reader.Warning(DiagnosticCodes.UnusedOption, reader.ValueLocation("reward"), "best_of_majority scores whole answers, so 'aggregate' (which combines step scores) has no effect",
                "remove 'aggregate'");
        }

        return new BestOfMajoritySpec(reward, reader.Double("min_share", 0, 1) ?? 0.2, reader.Int("keep", 1, 1000) ?? 1, reader.Pattern("extract", needsGroup: true), reader.Location);
    }

    public override IEnumerable<ModelRef?> Models(BestOfMajoritySpec spec) => Reward.ModelsOf(spec.Reward);

    public override IEnumerable<string> TemplatesUsed(BestOfMajoritySpec spec) => Reward.OutcomeTemplatesUsed(spec.Reward);

    public override TechniqueNeeds Needs(BestOfMajoritySpec spec) => Reward.SelectionNeeds(spec.Reward);

    public override TechniqueBounds Bounds(BestOfMajoritySpec spec, BoundsInput input) => Reward.SelectionBounds(spec.Reward, spec.Keep, input);

    public override long CandidatesShownPerCall(BestOfMajoritySpec spec, long candidatesIn) => Math.Min(1, candidatesIn);

    public override ITechnique Create(BestOfMajoritySpec spec) => new BestOfMajority(spec);
}
