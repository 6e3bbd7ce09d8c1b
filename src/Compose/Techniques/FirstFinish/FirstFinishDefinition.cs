using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>Calls <c>samples</c> answers side by side and keeps the first <c>keep</c> to finish.</summary>
public sealed record FirstFinishSpec(ModelRef? Model, int Samples, int Keep, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "first_finish";
}

/// <summary><c>first_finish</c>: First Finish Search; the first answers to finish are kept, the rest cancelled.</summary>
public sealed class FirstFinishDefinition : TechniqueDefinition<FirstFinishSpec>
{
    public override string Key => "first_finish";

    public override string Summary =>
        "First Finish Search: calls 'samples' answers side by side, keeps the first 'keep' to finish (shortest first) and cancels the rest, each billed for the tokens it produced.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("model", "The model that answers (default: the pipeline's default model)."),
        new("samples", "Answers called side by side, 1..1000 (default 8)."),
        new("keep", "The answers kept, in the order they finished, 1..samples (default 1)."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates { get; } = [GenerateDefinition.Prompt];

    public override bool StartsFromQuestion => true;

    public override CandidateEffect Effect => CandidateEffect.Writes;

    public override FirstFinishSpec Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var samples = reader.Int("samples", 1, 1000) ?? 8;
        var keep = reader.Int("keep", 1, 1000) ?? 1;
        if (keep > samples)
        {
            reader.Error(DiagnosticCodes.OutOfRange, reader.ValueLocation("keep"), $"first_finish keeps {keep} answers of {samples} samples",
                "'keep' must be at most 'samples'");
        }

        return new FirstFinishSpec(reader.Model("model"), samples, Math.Min(keep, samples), reader.Location);
    }

    public override IEnumerable<ModelRef?> Models(FirstFinishSpec spec) => [spec.Model];

    public override TechniqueBounds Bounds(FirstFinishSpec spec, BoundsInput input)
    {
        var sampled = AdaptiveVoteDefinition.Sampled(spec.Samples, input);
        return sampled with { Output = sampled.Output with { Count = spec.Keep } };
    }

    public override long CandidatesShownPerCall(FirstFinishSpec spec, long candidatesIn) => candidatesIn;

    public override ITechnique Create(FirstFinishSpec spec) => new FirstFinish(spec);
}
