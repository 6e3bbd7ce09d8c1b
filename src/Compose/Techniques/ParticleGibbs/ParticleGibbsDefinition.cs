using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>Particle Gibbs over reasoning steps: particle filtering repeated, each pass conditioned on a reference particle.</summary>
public sealed record ParticleGibbsSpec(StepSettings Steps, FilterSettings Filter, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "particle_gibbs";
}

/// <summary>
/// <c>particle_gibbs</c>: runs the particle filter <c>iterations</c> times; every pass after the first keeps a reference
/// particle (drawn from the previous pass's final weights) that replays its steps and competes in every resampling, so
/// later passes refine around the best answer found so far (Puri et al. 2025, §3.2).
/// </summary>
public sealed class ParticleGibbsDefinition : TechniqueDefinition<ParticleGibbsSpec>
{
    public override string Key => "particle_gibbs";

    public override string Summary => "Particle Gibbs over reasoning steps: the particle filter repeated 'iterations' times, each pass keeping a reference particle from the last; answers with one particle.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        .. StepSettings.Options,
        .. FilterSettings.Options,
        new("iterations", "Filter passes, 1..100 (default 2); each after the first keeps a reference particle."),
    ];

    public override ImmutableArray<TechniqueTemplate> Templates => StepSettings.Templates;

    public override bool StartsFromQuestion => true;

    public override CandidateEffect Effect => CandidateEffect.Writes;

    public override ParticleGibbsSpec Read(TechniqueReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var steps = StepSettings.Read(reader);
        var iterations = reader.Int("iterations", 1, 100) ?? 2;
        var filter = FilterSettings.Read(reader, iterations);
        if (filter.Particles < 2 && iterations > 1)
        {
            reader.Error(DiagnosticCodes.OutOfRange, reader.ValueLocation("particles"), "particle Gibbs needs at least 2 particles: one is the reference",
                "raise 'particles', or use particle_filter");
        }

        return new ParticleGibbsSpec(steps, filter, reader.Location);
    }

    public override IEnumerable<ModelRef?> Models(ParticleGibbsSpec spec) => spec.Steps.Models();

    public override IEnumerable<string> TemplatesUsed(ParticleGibbsSpec spec) => spec.Steps.TemplatesUsed();

    public override TechniqueNeeds Needs(ParticleGibbsSpec spec) => spec.Steps.Needs();

    public override TechniqueBounds Bounds(ParticleGibbsSpec spec, BoundsInput input) =>
        new(spec.Steps.Bounds(input, spec.Filter.StepCalls(spec.Steps.MaxSteps)),
            new CandidateFlow(1, spec.Steps.PartialTokensBound(spec.Steps.MaxSteps, input.MaxTokens), 0));

    public override long CandidatesShownPerCall(ParticleGibbsSpec spec, long candidatesIn) => 0;

    public override ITechnique Create(ParticleGibbsSpec spec) => new ParticleFilter(spec.Steps, spec.Filter);
}
