using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>DeepConf offline (sample all, keep the confident share, weighted vote) or online (warm-up threshold, traces stopped mid-generation).</summary>
public enum DeepConfMode
{
    Offline,
    Online,
}

/// <summary>DeepConf: confidence-filtered, confidence-weighted voting from token log-probabilities.</summary>
public sealed record DeepConfSpec(
    ModelRef? Model,
    DeepConfMode Mode,
    int Samples,
    int Warmup,
    int Wave,
    double Keep,
    ConfidenceMeasure Measure,
    int Window,
    int TopLogProbs,
    double Consensus,
    string? Extract,
    SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "deepconf";
}

/// <summary><c>deepconf</c>: Deep Think with Confidence, offline and online.</summary>
public sealed class DeepConfDefinition : TechniqueDefinition<DeepConfSpec>
{
    internal static readonly ImmutableArray<string> Modes = ["offline", "online"];

    internal static readonly ImmutableArray<string> Measures = ["mean", "lowest_group", "bottom_10", "tail", "mean_logprob", "entropy"];

    internal static readonly ConfidenceMeasure[] MeasureValues =
        [ConfidenceMeasure.Mean, ConfidenceMeasure.LowestGroup, ConfidenceMeasure.Bottom10, ConfidenceMeasure.Tail, ConfidenceMeasure.MeanLogProbability, ConfidenceMeasure.Entropy];

    public override string Key => "deepconf";

    public override string Summary =>
        "DeepConf: votes weighted by token confidence after keeping the most confident share (offline), or sets a threshold from warm-up samples and stops samples whose running confidence falls below it, until the vote reaches consensus (online).";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("model", "The model that answers; it must report log-probabilities (default: the pipeline's default model)."),
        new("mode", "offline (sample all, keep the confident share, weighted vote) or online (default; warm-up threshold, low-confidence samples stopped mid-generation, stop at consensus).") { Words = Modes },
        new("samples", "The most samples, 1..1000 (default 16); the static bounds count this many calls."),
        new("warmup", "Online: the warm-up samples that set the threshold, 1..samples (default 4)."),
        new("wave", "Samples called side by side after the warm-up, 1..1000 (default 4)."),
        new("keep", "The most confident share kept, 0.01..1 (default 0.9; DeepConf-low is 0.1); online, the threshold is the warm-up's (1 - keep) percentile."),
        new("measure", "The confidence that ranks and weighs samples: mean, lowest_group (default), bottom_10, tail, mean_logprob or entropy.") { Words = Measures },
        new("window", "Tokens in a group (sliding window) of the group confidence, 1..100000 (default 64)."),
        new("top_logprobs", "Alternatives per token the confidence is computed over, 1..20 (default 5)."),
        new("consensus", "Online: stop once the leading answer holds this share of the weighted vote, 0.5..1 (default 0.95)."),
        new("extract", "A regular expression whose first group is the answer (default: the built-in answer extractor)."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } = [GenerateDefinition.Prompt];

    public override bool StartsFromQuestion => true;

    public override CandidateEffect Effect => CandidateEffect.Writes;

    public override DeepConfSpec Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var mode = reader.Word("mode", Modes, [DeepConfMode.Offline, DeepConfMode.Online]) ?? DeepConfMode.Online;
        var samples = reader.Int("samples", 1, 1000) ?? 16;
        var warmup = reader.Int("warmup", 1, 1000) ?? Math.Min(4, samples);
        if (warmup > samples)
        {
            reader.Error(DiagnosticCodes.OutOfRange, reader.ValueLocation("warmup"), $"deepconf warms up with {warmup} of at most {samples} samples",
                "'warmup' must be at most 'samples'");
        }

        if (mode == DeepConfMode.Offline)
        {
            foreach (var online in new[] { "warmup", "consensus" }.Where(reader.Has))
            {
                reader.Warning(DiagnosticCodes.UnusedOption, reader.KeyLocation(online), $"'{online}' belongs to 'mode: online'", $"remove '{online}', or use 'mode: online'");
            }
        }

        return new DeepConfSpec(
            reader.Model("model"),
            mode,
            samples,
            Math.Min(warmup, samples),
            reader.Int("wave", 1, 1000) ?? 4,
            reader.Double("keep", 0.01, 1) ?? 0.9,
            reader.Word("measure", Measures, MeasureValues) ?? ConfidenceMeasure.LowestGroup,
            reader.Int("window", 1, 100_000) ?? ConfidenceSummary.DefaultWindow,
            reader.Int("top_logprobs", 1, Compose.Models.TokenLogProbabilities.MaxTop) ?? 5,
            reader.Double("consensus", 0.5, 1) ?? 0.95,
            reader.Pattern("extract", needsGroup: true),
            reader.Location);
    }

    public override IEnumerable<ModelRef?> Models(DeepConfSpec spec) => [spec.Model];

    public override TechniqueNeeds Needs(DeepConfSpec spec) => new() { FromModels = Compose.Models.ModelCapabilities.LogProbabilities };

    public override TechniqueBounds Bounds(DeepConfSpec spec, BoundsInput input) => AdaptiveVoteDefinition.Sampled(spec.Samples, input);

    public override long CandidatesShownPerCall(DeepConfSpec spec, long candidatesIn) => candidatesIn;

    public override ITechnique Create(DeepConfSpec spec) => new DeepConf(spec);
}
