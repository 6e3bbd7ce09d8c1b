using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;
using Compose.Runtime;
using static Compose.Compilation.Saturating;

namespace Compose.Techniques;

/// <summary>What happens to particles whose answer is complete while others are still being written.</summary>
public enum FinishedParticles
{
    /// <summary>They keep competing in resampling with their last reward; copies of them are complete too (default; the paper's choice).</summary>
    Resample,

    /// <summary>They keep their slots and leave resampling; only the particles still being written are resampled, among themselves.</summary>
    Keep,
}

/// <summary>How the filter picks its answer from the final particles.</summary>
public enum FinalPick
{
    /// <summary>The particle with the highest reward (untempered weight; first on a tie).</summary>
    Argmax,

    /// <summary>A particle drawn from the final weights.</summary>
    Sample,
}

/// <summary>The options of particle filtering, shared by <c>particle_filter</c> and <c>particle_gibbs</c>.</summary>
public sealed record FilterSettings(int Particles, double Temperature, ResamplingMethod Resampling, bool Entropic, FinishedParticles Finished, FinalPick Pick, int Iterations)
{
    private static readonly ImmutableArray<string> ResamplingWords = ["multinomial", "systematic"];
    private static readonly ImmutableArray<string> FinishedWords = ["resample", "keep"];
    private static readonly ImmutableArray<string> PickWords = ["argmax", "sample"];

    /// <summary>The options of a particle filter, after the steps' own.</summary>
    public static ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("particles", "Particles (answers written side by side), 1..1000 (default 4)."),
        new("resample_temperature", "The softmax temperature over logit(reward) weights, > 0 (default 1)."),
        new("resampling", "multinomial (default) or systematic (default with entropic).") { Words = ResamplingWords },
        new("entropic", "Temper the resampling while the effective sample size is below half the particles in the first half of the search (default false)."),
        new("finished", "Complete particles keep competing in resampling (resample, default) or keep their slots (keep).") { Words = FinishedWords },
        new("pick", "The answer: the particle with the highest reward (argmax, default) or one drawn from the final weights (sample).") { Words = PickWords },
    ];

    public static FilterSettings Read(TechniqueReader reader, int iterations)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var entropic = reader.Bool("entropic") ?? false;
        return new FilterSettings(
            reader.Int("particles", 1, 1000) ?? 4,
            reader.Double("resample_temperature", 1e-6, 1e6) ?? 1,
            reader.Word("resampling", ResamplingWords, [ResamplingMethod.Multinomial, ResamplingMethod.Systematic])
                ?? (entropic ? ResamplingMethod.Systematic : ResamplingMethod.Multinomial),
            entropic,
            reader.Word("finished", FinishedWords, [FinishedParticles.Resample, FinishedParticles.Keep]) ?? FinishedParticles.Resample,
            reader.Word("pick", PickWords, [FinalPick.Argmax, FinalPick.Sample]) ?? FinalPick.Argmax,
            iterations);
    }

    /// <summary>
    /// The most steps written: N × T in the first iteration, (N - 1) × T in each later one (the reference particle's steps
    /// are not written again). Each is judged once.
    /// </summary>
    public long StepCalls(int maxSteps) => Add(Mul(Particles, maxSteps), Mul(Iterations - 1, Particles - 1, maxSteps));
}

/// <summary>Particle filtering over reasoning steps (Puri et al. 2025, arXiv 2502.01618).</summary>
public sealed record ParticleFilterSpec(StepSettings Steps, FilterSettings Filter, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "particle_filter";
}

/// <summary>
/// <c>particle_filter</c>: N particles write an answer step by step; after each step a process reward weighs them
/// (softmax of logit(reward) over a temperature) and they are resampled, so compute follows the promising answers.
/// </summary>
public sealed class ParticleFilterDefinition : TechniqueDefinition<ParticleFilterSpec>
{
    public override string Key => "particle_filter";

    public override string Summary => "Particle filtering over reasoning steps (Puri et al. 2025): particles write step by step, a process reward weighs them, and they are resampled after every step; answers with one particle.";

    public override ImmutableArray<TechniqueOption> Options { get; } = [.. StepSettings.Options, .. FilterSettings.Options];

    public override ImmutableArray<TechniqueTemplate> Templates => StepSettings.Templates;

    public override bool StartsFromQuestion => true;

    public override CandidateEffect Effect => CandidateEffect.Writes;

    public override ParticleFilterSpec Read(TechniqueReader reader) =>
        new(StepSettings.Read(reader), FilterSettings.Read(reader, iterations: 1), reader!.Location);

    public override IEnumerable<ModelRef?> Models(ParticleFilterSpec spec) => spec.Steps.Models();

    public override IEnumerable<string> TemplatesUsed(ParticleFilterSpec spec) => spec.Steps.TemplatesUsed();

    public override TechniqueNeeds Needs(ParticleFilterSpec spec) => spec.Steps.Needs();

    public override TechniqueBounds Bounds(ParticleFilterSpec spec, BoundsInput input) =>
        new(spec.Steps.Bounds(input, spec.Filter.StepCalls(spec.Steps.MaxSteps)),
            new CandidateFlow(1, spec.Steps.PartialTokensBound(spec.Steps.MaxSteps, input.MaxTokens), 0));

    public override long CandidatesShownPerCall(ParticleFilterSpec spec, long candidatesIn) => 0;

    public override ITechnique Create(ParticleFilterSpec spec) => new ParticleFilter(spec.Steps, spec.Filter);
}
