using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>Beam search over reasoning steps scored by a process reward (Snell et al. 2024).</summary>
public sealed record BeamSearchSpec(StepSettings Steps, int Width, int Expansions, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "beam_search";
}

/// <summary>
/// <c>beam_search</c>: keeps <c>width</c> partial answers; each writes <c>expansions</c> next steps, a process reward
/// scores every one, and the best <c>width</c> continue. Passes on its complete beams, best first.
/// </summary>
public sealed class BeamSearchDefinition : TechniqueDefinition<BeamSearchSpec>
{
    public override string Key => "beam_search";

    public override string Summary => "Beam search over reasoning steps (Snell et al. 2024): 'width' beams each write 'expansions' next steps, a process reward scores them, the best 'width' continue; passes on its complete beams, best first.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        .. StepSettings.Options,
        new("width", "Beams kept after every step, 1..1000 (default 4)."),
        new("expansions", "Next steps each beam writes, 1..1000 (default 4); the first step writes width × expansions."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates => StepSettings.Templates;

    public override bool StartsFromQuestion => true;

    public override CandidateEffect Effect => CandidateEffect.Writes;

    public override BeamSearchSpec Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new(StepSettings.Read(reader), reader.Int("width", 1, 1000) ?? 4, reader.Int("expansions", 1, 1000) ?? 4, reader.Location);
    }

    public override IEnumerable<ModelRef?> Models(BeamSearchSpec spec) => spec.Steps.Models();

    public override IEnumerable<string> TemplatesUsed(BeamSearchSpec spec) => spec.Steps.TemplatesUsed();

    public override TechniqueNeeds Needs(BeamSearchSpec spec) => spec.Steps.Needs();

    /// <summary>At most width × expansions steps written and judged at each of max_steps steps; at most width beams out.</summary>
    public override TechniqueBounds Bounds(BeamSearchSpec spec, BoundsInput input) =>
        new(spec.Steps.Bounds(input, Mul(spec.Width, spec.Expansions, spec.Steps.MaxSteps)),
            new CandidateFlow(spec.Width, spec.Steps.PartialTokensBound(spec.Steps.MaxSteps, input.MaxTokens), 0));

    public override long CandidatesShownPerCall(BeamSearchSpec spec, long candidatesIn) => 0;

    public override ITechnique Create(BeamSearchSpec spec) => new BeamSearch(spec);
}
