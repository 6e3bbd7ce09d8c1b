using System.Collections.Immutable;
using Compose.Language;

namespace Compose.Search.Space;

/// <summary>
/// A search-space file (schemas/search-space.schema.json) read into typed form: the models to bind, the
/// values of every axis, the per-question budget no architecture may exceed, and the final selection.
/// </summary>
public sealed record SearchSpace
{
    public required string Name { get; init; }

    public string SourceFile { get; init; } = "";

    /// <summary>The models architectures use (pipeline syntax), from <c>models:</c> or a models file.</summary>
    public ImmutableArray<ModelSpec> Models { get; init; } = [];

    /// <summary>The models file <see cref="Models"/> were read from (its full path), when there is one.</summary>
    public string? ModelsFile { get; init; }

    /// <summary>Directory relative paths in model options resolve against.</summary>
    public string BaseDirectory { get; init; } = "";

    /// <summary>The file bounds the space was read with; the pipelines it generates are built with them.</summary>
    public Compose.IO.FileAccessPolicy Files { get; init; } = Compose.IO.FileAccessPolicy.Default;

    public ImmutableArray<ImmutableArray<string>> Generators { get; init; } = [];

    public ImmutableArray<int> Samples { get; init; } = [1];

    public ImmutableArray<bool> Critique { get; init; } = [false];

    public ImmutableArray<int> RankKeep { get; init; } = [0];

    public ImmutableArray<int> FusionLayers { get; init; } = [0];

    public ImmutableArray<int> Fusers { get; init; } = [1];

    public ImmutableArray<string> Final { get; init; } = ["none"];

    /// <summary>The temperatures tried (a continuous range is read as evenly spaced steps).</summary>
    public ImmutableArray<double> Temperatures { get; init; } = [0.7];

    /// <summary>The range of temperatures, for encoding (min, max).</summary>
    public (double Min, double Max) TemperatureRange { get; init; } = (0, 1);

    /// <summary>Model used by critique, rank, fuse and the final layer (default: the first generator of each architecture).</summary>
    public string? Judge { get; init; }

    public int MaxTokens { get; init; } = 512;

    /// <summary>The per-question budget: architectures whose static bound exceeds it are never run.</summary>
    public BudgetSpec Budget { get; init; } = BudgetSpec.Unlimited;

    /// <summary><c>vote</c> (default) or <c>first</c>.</summary>
    public string Output { get; init; } = "vote";
}
