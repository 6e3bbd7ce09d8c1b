using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>A pipeline file read into typed form. Produced by the reader, checked and compiled by the compiler.</summary>
public sealed record PipelineSpec
{
    /// <summary>The format version (<c>compose: 1</c>).</summary>
    public int Version { get; init; } = 1;

    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>The file the spec was read from (used for locations and to resolve relative paths).</summary>
    public string SourceFile { get; init; } = "";

    public ImmutableArray<ModelSpec> Models { get; init; } = [];

    public GenerationDefaults Defaults { get; init; } = GenerationDefaults.Standard;

    public BudgetSpec Budget { get; init; } = BudgetSpec.Unlimited;

    public ImmutableArray<LayerSpec> Layers { get; init; } = [];

    public OutputSpec Output { get; init; } = OutputSpec.First;

    public SourceLocation Location { get; init; } = SourceLocation.None;

    /// <summary>The directory relative paths in the file are resolved against.</summary>
    public string BaseDirectory =>
        string.IsNullOrEmpty(SourceFile) ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(Path.GetFullPath(SourceFile))!;

    public ModelSpec? FindModel(string name) => Models.FirstOrDefault(m => m.Name == name);
}

/// <summary>
/// A named model. <see cref="Provider"/> picks the <c>IModelProvider</c> that turns it into an
/// <c>IChatClient</c>; the provider reads and checks its own <see cref="Options"/>.
/// </summary>
public sealed record ModelSpec(string Name, string Provider, SpecMapping Options, SourceLocation Location)
{
    /// <summary>How many calls to this model may be in flight at once (<c>concurrency:</c>); null = unlimited.</summary>
    public int? Concurrency { get; init; }

    /// <summary>Where the value of <c>provider:</c> was written (<see cref="SourceLocation.None"/> when absent).</summary>
    public SourceLocation ProviderLocation { get; init; } = SourceLocation.None;

    public string? GetString(string key) => (Options[key] as SpecScalar)?.Value;
}

/// <summary>Per-call defaults (<c>defaults:</c>), overridable per technique.</summary>
public sealed record GenerationDefaults
{
    public static GenerationDefaults Standard { get; } = new();

    /// <summary>The model a technique uses when it names none (null: the host's default model).</summary>
    public string? Model { get; init; }

    public double Temperature { get; init; } = 0.7;

    public int MaxTokens { get; init; } = 1024;

    public double? TopP { get; init; }

    public ImmutableArray<string> Stop { get; init; } = [];

    /// <summary>The system message sent with every call, if any.</summary>
    public string? System { get; init; }

    /// <summary>Prompt length assumed for the question when bounding tokens statically.</summary>
    public int InputTokens { get; init; } = 512;

    /// <summary>Where <c>defaults:</c> was written.</summary>
    public SourceLocation Location { get; init; } = SourceLocation.None;

    /// <summary>Where the value of <c>defaults.model</c> was written.</summary>
    public SourceLocation ModelLocation { get; init; } = SourceLocation.None;
}

/// <summary>What one question may spend (<c>budget:</c>). Null limits are unlimited.</summary>
public sealed record BudgetSpec
{
    public static BudgetSpec Unlimited { get; } = new();

    public int? MaxCalls { get; init; }

    public long? MaxTokens { get; init; }

    /// <summary>Money limit per question, in the unit of <see cref="Prices"/>.</summary>
    public decimal? MaxCost { get; init; }

    /// <summary>Price per 1,000 tokens per model name.</summary>
    public ImmutableDictionary<string, ModelPrice> Prices { get; init; } = ImmutableDictionary<string, ModelPrice>.Empty;

    public SourceLocation Location { get; init; } = SourceLocation.None;

    /// <summary>Where the value of <c>max_calls</c> was written.</summary>
    public SourceLocation MaxCallsLocation { get; init; } = SourceLocation.None;

    /// <summary>Where the value of <c>max_tokens</c> was written.</summary>
    public SourceLocation MaxTokensLocation { get; init; } = SourceLocation.None;

    /// <summary>Where the value of <c>max_cost</c> was written.</summary>
    public SourceLocation MaxCostLocation { get; init; } = SourceLocation.None;

    public bool IsUnlimited => MaxCalls is null && MaxTokens is null && MaxCost is null;
}

/// <summary>A model's price: money per 1,000 input tokens and per 1,000 output tokens.</summary>
public sealed record ModelPrice(decimal InputPer1K, decimal OutputPer1K, SourceLocation Location)
{
    /// <summary>
    /// The money of a call (or of calls) with <paramref name="inputTokens"/> and <paramref name="outputTokens"/>:
    /// <c>input × InputPer1K / 1000 + output × OutputPer1K / 1000</c>; <see cref="decimal.MaxValue"/> when that
    /// is beyond what a decimal holds. The one place the cost formula is written: the static bound, the budget
    /// and the run's usage all use it.
    /// </summary>
    public decimal Cost(long inputTokens, long outputTokens)
    {
        try
        {
            return (inputTokens * InputPer1K / 1000m) + (outputTokens * OutputPer1K / 1000m);
        }
        catch (OverflowException)
        {
            return decimal.MaxValue;
        }
    }
}

/// <summary>One layer: one technique, or several that run side by side on the same input.</summary>
public sealed record LayerSpec(ImmutableArray<TechniqueSpec> Techniques, SourceLocation Location);

/// <summary>A reference to a named model, with where it was written.</summary>
public sealed record ModelRef(string Name, SourceLocation Location)
{
    public override string ToString() => Name;
}

/// <summary>A prompt template override: inline Scriban text, or a file relative to the pipeline file.</summary>
public sealed record PromptOverride(string? Inline, string? File, SourceLocation Location);

/// <summary>How a program check judges a candidate.</summary>
public enum CheckKind
{
    /// <summary>The candidate matches a regular expression.</summary>
    Regex,

    /// <summary>The candidate's final number equals an expected number (from the question's metadata or the spec).</summary>
    Number,

    /// <summary>The candidate contains a final answer that can be extracted (non-empty extraction).</summary>
    HasAnswer,
}

public sealed record CheckSpec(CheckKind Kind, string? Pattern, string? Expected, SourceLocation Location);

public enum TieBreak
{
    /// <summary>Among tied answers, the one whose first candidate came earliest.</summary>
    First,

    /// <summary>Among tied answers, the one with the highest total candidate score.</summary>
    Score,

    /// <summary>Among tied answers, the shortest supporting candidate.</summary>
    Shortest,
}

public enum SelectionKind
{
    /// <summary>The first surviving candidate (after rank: the best ranked).</summary>
    First,

    /// <summary>Majority vote over extracted answers of the survivors.</summary>
    Vote,

    /// <summary>The survivor with the highest score.</summary>
    BestScore,

    /// <summary>The survivor whose text the model found most likely (highest summed token log-probability); needs no model call.</summary>
    BestLogProb,
}

/// <summary>The final selection (<c>output:</c>). Never a random pick.</summary>
public sealed record OutputSpec(SelectionKind Kind, string? Extract, TieBreak TieBreak, SourceLocation Location)
{
    public static OutputSpec First { get; } = new(SelectionKind.First, null, TieBreak.First, SourceLocation.None);
}
