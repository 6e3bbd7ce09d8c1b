using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Models;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>
/// Everything the reader, the compiler, the graph and the runtime know of one technique, in one place: its key,
/// its options and how they are read and checked, its default prompts, its static bounds, what it needs from its
/// input and its models, and how it runs. Register definitions on a <see cref="TechniqueCatalog"/>; the core names
/// no technique. Derive from <see cref="TechniqueDefinition{TSpec}"/>.
/// </summary>
public abstract class TechniqueDefinition
{
    private protected TechniqueDefinition()
    {
    }

    /// <summary>The key a pipeline writes (<c>rank</c>, <c>keyword_filter</c>): lower case letters, digits and '_', starting with a letter.</summary>
    public abstract string Key { get; }

    /// <summary>One sentence on what the technique does, for the docs and <c>compose techniques</c>.</summary>
    public abstract string Summary { get; }

    /// <summary>The technique's own options (the common ones — id, temperature, max_tokens, prompt, prompts — are added by the language).</summary>
    public abstract ImmutableArray<TechniqueOption> Options { get; }

    /// <summary>Its prompt templates with their default text; <c>prompt:</c> overrides the first, <c>prompts:</c> any by name.</summary>
    public virtual ImmutableArray<TechniqueTemplate> Templates => [];

    /// <summary>True when it can run in the first layer: it makes candidates from the question alone.</summary>
    public virtual bool StartsFromQuestion => false;

    /// <summary>What it does to the candidates it passes on; the compiler tracks whether critiques are available from this.</summary>
    public virtual CandidateEffect Effect => CandidateEffect.Passes;

    /// <summary>The spec type this definition reads and runs.</summary>
    public abstract Type SpecType { get; }
}

/// <summary>
/// A technique over its options record <typeparamref name="TSpec"/> (a record deriving from <see cref="TechniqueSpec"/>).
/// Implement <see cref="Read"/>, <see cref="Bounds"/> and <see cref="Create"/>; override the rest where the defaults
/// (no model, no needs, no checks, shows no candidate) do not describe it.
/// </summary>
public abstract class TechniqueDefinition<TSpec> : TechniqueDefinition, ITechniqueRules, ITechniqueFactory
    where TSpec : TechniqueSpec
{
    public sealed override Type SpecType => typeof(TSpec);

    /// <summary>Reads and checks the options; null when they are unusable (every problem reported on <paramref name="reader"/>).</summary>
    public abstract TSpec? Read(TechniqueReader reader);

    /// <summary>
    /// The models it calls, in order (the first is <see cref="TechniqueContext.Model"/>); null stands for the default
    /// model. The compiler resolves each and reports undefined ones at their location.
    /// </summary>
    public virtual IEnumerable<ModelRef?> Models(TSpec spec) => [];

    /// <summary>
    /// Static upper bounds per question: calls and tokens per model, and the candidates (with their tokens) it passes on,
    /// given upper bounds on its input. <c>compose graph</c> prints them, budgets are checked against them, and a run
    /// never exceeds them (a test holds every technique to this).
    /// </summary>
    public abstract TechniqueBounds Bounds(TSpec spec, BoundsInput input);

    /// <summary>What it needs from its input and from the models it calls; mismatches are located compile errors.</summary>
    public virtual TechniqueNeeds Needs(TSpec spec) => TechniqueNeeds.None;

    /// <summary>Checks of its own on how it composes with the layers before it (located warnings or errors).</summary>
    public virtual IEnumerable<Diagnostic> Check(TSpec spec, CompositionInput input) => [];

    /// <summary>How many input candidates one of its calls shows a model (for the context check); 0 when none.</summary>
    public virtual long CandidatesShownPerCall(TSpec spec, long candidatesIn) => 0;

    /// <summary>
    /// The names of the templates a node with these options renders (default: all of <see cref="TechniqueDefinition.Templates"/>); the
    /// context check measures only these against a model's context.
    /// </summary>
    public virtual IEnumerable<string> TemplatesUsed(TSpec spec) => Templates.Select(t => t.Name);

    /// <summary>The runnable technique for one node; it holds only its options, per-question state lives in the context.</summary>
    public abstract ITechnique Create(TSpec spec);

    // The faces the reader, the compiler and the runtime see (Language.TechniqueSet.For<T>), over the typed members above.
    ImmutableArray<string> ITechniqueSyntax.TemplateNames => [.. Templates.Select(t => t.Name)];

    TechniqueSpec? ITechniqueSyntax.ReadSpec(TechniqueReader reader) => Read(reader);

    IEnumerable<ModelRef?> ITechniqueRules.ModelsOf(TechniqueSpec spec) => Models((TSpec)spec);

    TechniqueBounds ITechniqueRules.BoundsOf(TechniqueSpec spec, BoundsInput input) => Bounds((TSpec)spec, input);

    TechniqueNeeds ITechniqueRules.NeedsOf(TechniqueSpec spec) => Needs((TSpec)spec);

    IEnumerable<Diagnostic> ITechniqueRules.CheckOf(TechniqueSpec spec, CompositionInput input) => Check((TSpec)spec, input);

    long ITechniqueRules.ShownPerCallOf(TechniqueSpec spec, long candidatesIn) => CandidatesShownPerCall((TSpec)spec, candidatesIn);

    IEnumerable<string> ITechniqueRules.TemplatesUsedOf(TechniqueSpec spec) => TemplatesUsed((TSpec)spec);

    ITechnique ITechniqueFactory.CreateFor(TechniqueSpec spec) => Create((TSpec)spec);
}
