using System.Collections.Immutable;
using Compose.Language;

namespace Compose.Import;

/// <summary>One Archon component as read from its JSON object, with the values the import uses.</summary>
internal sealed record ArchonComponent(string Type, SourceLocation Location)
{
    public string Model { get; init; } = "";

    public string ModelType { get; init; } = "";

    public double Temperature { get; init; } = 0.7;

    /// <summary>The max_tokens Archon sends (4096 for Anthropic_API, whatever the file says).</summary>
    public int MaxTokens { get; init; } = 2048;

    public int Samples { get; init; } = 1;

    public int? TopK { get; init; }

    public bool LengthControl { get; init; }

    public bool FirstPass { get; init; }

    public int? UnitTestCap { get; init; }

    /// <summary>The ranker is llm-blender's PairRM, a local reward model.</summary>
    public bool IsPairRM => Type == ArchonVocabulary.Ranker && Model == ArchonVocabulary.PairRMModel;
}

/// <summary>One Archon layer: its components in order.</summary>
internal sealed record ArchonLayer(int Number, SourceLocation Location, ImmutableArray<ArchonComponent> Components)
{
    public string Type => Components.IsEmpty ? "" : Components[0].Type;
}

/// <summary>Archon's words: component types and the options each component reads (from Archon's components, not its docs).</summary>
internal static class ArchonVocabulary
{
    public const string Generator = "generator";
    public const string Critic = "critic";
    public const string Ranker = "ranker";
    public const string Fuser = "fuser";
    public const string Verifier = "verifier";
    public const string UnitTestGenerator = "unit_test_generator";
    public const string UnitTestEvaluator = "unit_test_evaluator";
    public const string PairRMModel = "llm-blender/PairRM";

    public static ImmutableArray<string> Types { get; } = [Generator, Critic, Ranker, Fuser, Verifier, UnitTestGenerator, UnitTestEvaluator];

    private static readonly ImmutableArray<string> s_base = ["type", "model", "model_type", "temperature", "max_tokens", "samples", "no_system"];

    /// <summary>The keys each component reads.</summary>
    public static ImmutableDictionary<string, ImmutableArray<string>> Reads { get; } = new Dictionary<string, ImmutableArray<string>>
    {
        [Generator] = s_base,
        [Critic] = s_base,
        [Fuser] = [.. s_base, "length_control"],
        [Ranker] = [.. s_base, "top_k", "use_critiques", "ranker_batch_size"],
        [Verifier] = [.. s_base, "first_k"],
        [UnitTestGenerator] = [.. s_base, "unit_test_cap"],
        [UnitTestEvaluator] = [.. s_base, "unit_test_cap", "remove_unit_tests_from_prompt", "top_k", "first_k", "first_pass"],
    }.ToImmutableDictionary();

    /// <summary>Every option word of Archon's files: what some component reads, and the keys its shipped files carry that none reads.</summary>
    public static ImmutableArray<string> AllOptions { get; } =
        [.. Reads.Values.SelectMany(v => v).Concat(["checkpoint", "batch_num"]).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>The keys of a layer written as an object.</summary>
    public static ImmutableArray<string> LayerKeys { get; } = ["models", "branches"];

    /// <summary>The top-level keys Archon reads.</summary>
    public static ImmutableArray<string> TopKeys { get; } = ["name", "layers", "custom"];
}
