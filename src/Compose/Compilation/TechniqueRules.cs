using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;
using Compose.Prompts;

namespace Compose.Compilation;

/// <summary>What the compiler needs of a technique: its models, needs, checks and bounds (see <c>TechniqueDefinition</c>).</summary>
internal interface ITechniqueRules : ITechniqueSyntax
{
    bool StartsFromQuestion { get; }

    CandidateEffect Effect { get; }

    ImmutableArray<TechniqueTemplate> Templates { get; }

    IEnumerable<ModelRef?> ModelsOf(TechniqueSpec spec);

    TechniqueBounds BoundsOf(TechniqueSpec spec, BoundsInput input);

    TechniqueNeeds NeedsOf(TechniqueSpec spec);

    IEnumerable<Diagnostic> CheckOf(TechniqueSpec spec, CompositionInput input);

    long ShownPerCallOf(TechniqueSpec spec, long candidatesIn);

    IEnumerable<string> TemplatesUsedOf(TechniqueSpec spec);
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

    /// <summary>
    /// What each of its models must offer besides <see cref="FromModels"/>, in the order <c>Models</c> names them (a search's
    /// step model continues partial answers, its reward model reports log-probabilities); missing entries need nothing more.
    /// </summary>
    public ImmutableArray<ModelCapabilities> ByModel { get; init; } = [];

    /// <summary>What the model at <paramref name="index"/> (in the order <c>Models</c> names them) must offer.</summary>
    public ModelCapabilities Of(int index) => FromModels | (index >= 0 && index < ByModel.Length ? ByModel[index] : ModelCapabilities.None);
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
