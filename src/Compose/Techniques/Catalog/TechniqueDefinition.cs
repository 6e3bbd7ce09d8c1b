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

    internal abstract TechniqueSpec? ReadSpec(TechniqueReader reader);

    internal abstract IEnumerable<ModelRef?> ModelsOf(TechniqueSpec spec);

    internal abstract TechniqueBounds BoundsOf(TechniqueSpec spec, BoundsInput input);

    internal abstract TechniqueNeeds NeedsOf(TechniqueSpec spec);

    internal abstract IEnumerable<Diagnostic> CheckOf(TechniqueSpec spec, CompositionInput input);

    internal abstract long ShownPerCallOf(TechniqueSpec spec, long candidatesIn);

    internal abstract ITechnique CreateFor(TechniqueSpec spec);
}

/// <summary>
/// A technique over its options record <typeparamref name="TSpec"/> (a record deriving from <see cref="TechniqueSpec"/>).
/// Implement <see cref="Read"/>, <see cref="Bounds"/> and <see cref="Create"/>; override the rest where the defaults
/// (no model, no needs, no checks, shows no candidate) do not describe it.
/// </summary>
public abstract class TechniqueDefinition<TSpec> : TechniqueDefinition
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

    /// <summary>The runnable technique for one node; it holds only its options, per-question state lives in the context.</summary>
    public abstract ITechnique Create(TSpec spec);

    internal sealed override TechniqueSpec? ReadSpec(TechniqueReader reader) => Read(reader);

    internal sealed override IEnumerable<ModelRef?> ModelsOf(TechniqueSpec spec) => Models((TSpec)spec);

    internal sealed override TechniqueBounds BoundsOf(TechniqueSpec spec, BoundsInput input) => Bounds((TSpec)spec, input);

    internal sealed override TechniqueNeeds NeedsOf(TechniqueSpec spec) => Needs((TSpec)spec);

    internal sealed override IEnumerable<Diagnostic> CheckOf(TechniqueSpec spec, CompositionInput input) => Check((TSpec)spec, input);

    internal sealed override long ShownPerCallOf(TechniqueSpec spec, long candidatesIn) => CandidatesShownPerCall((TSpec)spec, candidatesIn);

    internal sealed override ITechnique CreateFor(TechniqueSpec spec) => Create((TSpec)spec);
}

/// <summary>What a technique does to the candidates it passes on.</summary>
public enum CandidateEffect
{
    /// <summary>Passes on (some of) its input, perhaps rescored or revised; critiques travel on.</summary>
    Passes,

    /// <summary>Writes new candidates; earlier critiques do not apply to them.</summary>
    Writes,

    /// <summary>Attaches critiques to its input; later techniques may use them.</summary>
    Critiques,
}

/// <summary>One option of a technique: its key, what it takes (for the schema and the docs) and, for a word, the words.</summary>
public sealed record TechniqueOption(string Name, string Description)
{
    /// <summary>The words it accepts, when it is a word (<c>method: listwise | pairwise | pointwise</c>).</summary>
    public ImmutableArray<string> Words { get; init; } = [];
}

/// <summary>What a technique needs; the compiler checks each against the pipeline and the models' providers.</summary>
public sealed record TechniqueNeeds
{
    public static TechniqueNeeds None { get; } = new();

    /// <summary>Several input candidates (it compares or combines them): an error when at most one can reach it.</summary>
    public bool SeveralCandidates { get; init; }

    /// <summary>Critiques on its input: an error unless a critique layer follows the last layer that wrote candidates.</summary>
    public bool Critiques { get; init; }

    /// <summary>What every model it calls must offer (log-probabilities, continuing a partial answer, constrained output).</summary>
    public ModelCapabilities FromModels { get; init; }
}

/// <summary>Upper bounds on a technique's input, with what it needs to bound its own calls.</summary>
public sealed record BoundsInput(CandidateFlow Input, int Layer, ImmutableArray<string> Models, long QuestionTokens, long MaxTokens)
{
    /// <summary>The first model it calls, or null when it calls none.</summary>
    public string? Model => Models.IsEmpty ? null : Models[0];
}

/// <summary>A technique's static bounds: calls and tokens per model, and what it passes on.</summary>
public sealed record TechniqueBounds(ImmutableArray<ModelCalls> Calls, CandidateFlow Output)
{
    /// <summary>No model call; passes on <paramref name="output"/>.</summary>
    public static TechniqueBounds NoCalls(CandidateFlow output) => new([], output);
}

/// <summary>What a technique's composition check may look at: its place and upper bounds on what reaches it.</summary>
public sealed record CompositionInput(int Layer, CandidateFlow Input, bool CritiquesAvailable);
