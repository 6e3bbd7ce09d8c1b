using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>When <c>adaptive_vote</c> stops sampling.</summary>
public enum StoppingRule
{
    /// <summary>Early-stopping self-consistency: a whole wave gives one answer.</summary>
    Agreement,

    /// <summary>Adaptive-Consistency's Beta rule: P(the leading answer is the majority) reaches the threshold.</summary>
    Beta,
}

/// <summary>Samples in waves and votes, stopping as soon as the rule says the answer is settled.</summary>
public sealed record AdaptiveVoteSpec(ModelRef? Model, int MaxSamples, int Wave, StoppingRule Stop, double Threshold, string? Extract, SourceLocation Location)
    : TechniqueSpec(Location)
{
    public override string Kind => "adaptive_vote";
}

/// <summary><c>adaptive_vote</c>: self-consistency that samples only until the answer is settled (ESC or the Beta rule).</summary>
public sealed class AdaptiveVoteDefinition : TechniqueDefinition<AdaptiveVoteSpec>
{
    internal static readonly ImmutableArray<string> Rules = ["agreement", "beta"];

    public override string Key => "adaptive_vote";

    public override string Summary =>
        "Adaptive self-consistency: samples in waves and votes, stopping when a wave agrees (ESC) or the Beta rule is sure of the majority; calls that can no longer matter are cancelled.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("model", "The model that answers (default: the pipeline's default model)."),
        new("max_samples", "The most samples, 1..1000 (default 16); the static bounds count this many calls."),
        new("wave", "Samples called side by side in one wave, and ESC's window, 1..1000 (default 4)."),
        new("stop", "agreement (a whole wave gives one answer: early-stopping self-consistency) or beta (default; P(majority holds) reaches 'threshold').") { Words = Rules },
        new("threshold", "The Beta rule's probability that the leading answer is the majority, 0.5..0.9999 (default 0.95)."),
        new("extract", "A regular expression whose first group is the answer (default: the built-in answer extractor)."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } = [GenerateDefinition.Prompt];

    public override bool StartsFromQuestion => true;

    public override CandidateEffect Effect => CandidateEffect.Writes;

    public override AdaptiveVoteSpec Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var max = reader.Int("max_samples", 1, 1000) ?? 16;
        var wave = reader.Int("wave", 1, 1000) ?? 4;
        var stop = reader.Word("stop", Rules, [StoppingRule.Agreement, StoppingRule.Beta]) ?? StoppingRule.Beta;
        var threshold = reader.Double("threshold", 0.5, 0.9999);
        if (threshold is not null && stop == StoppingRule.Agreement)
        {
            reader.Warning(DiagnosticCodes.UnusedOption, reader.ValueLocation("threshold"), "'threshold' belongs to 'stop: beta'; 'stop: agreement' stops when a whole wave agrees",
                "remove 'threshold', or use 'stop: beta'");
        }

        return new AdaptiveVoteSpec(reader.Model("model"), max, wave, stop, threshold ?? 0.95, reader.Pattern("extract", needsGroup: true), reader.Location);
    }

    public override IEnumerable<ModelRef?> Models(AdaptiveVoteSpec spec) => [spec.Model];

    public override TechniqueBounds Bounds(AdaptiveVoteSpec spec, BoundsInput input) => Sampled(spec.MaxSamples, input);

    public override long CandidatesShownPerCall(AdaptiveVoteSpec spec, long candidatesIn) => candidatesIn;

    public override ITechnique Create(AdaptiveVoteSpec spec) => new AdaptiveVote(spec);

    /// <summary>The bounds of a technique that samples the generate prompt at most <paramref name="samples"/> times and passes as many on.</summary>
    internal static TechniqueBounds Sampled(int samples, BoundsInput input)
    {
        var flow = input.Input;
        var perCall = input.Layer == 0 ? input.QuestionTokens : Add(input.QuestionTokens, Mul(flow.Count, Add(flow.CandidateTokens, flow.CritiqueTokens)));
        return new TechniqueBounds([ModelCalls.Of(input.Model, samples, perCall, input.MaxTokens)], new CandidateFlow(samples, input.MaxTokens, 0));
    }
}
