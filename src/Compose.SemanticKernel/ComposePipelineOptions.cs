using Compose.Models;
using Compose.Runtime;

namespace Compose.SemanticKernel;

/// <summary>How a pipeline file is loaded into a Semantic Kernel app.</summary>
public sealed record ComposePipelineOptions
{
    public static ComposePipelineOptions Default { get; } = new();

    /// <summary>A YAML file with <c>models:</c> bound over the pipeline's models of the same name (like <c>compose run --models</c>).</summary>
    public string? ModelsFile { get; init; }

    /// <summary>
    /// The providers and techniques pipelines may use; by default the standard providers plus <c>provider: host</c>, and the
    /// built-in techniques (add your own with <c>Catalog.WithTechniques(...)</c> or <c>services.AddComposeTechnique&lt;T&gt;()</c>).
    /// </summary>
    public ModelProviderCatalog Catalog { get; init; } = ComposeSemanticKernel.Catalog;

    /// <summary>How model stacks are built (outer middleware, telemetry).</summary>
    public PipelineBuildOptions Build { get; init; } = PipelineBuildOptions.Default;

    /// <summary>Bounds on the files the pipeline reads and the folders its prompt and model files may live in (docs/security.md).</summary>
    public Compose.IO.FileAccessPolicy Files { get; init; } = Compose.IO.FileAccessPolicy.Default;
}
