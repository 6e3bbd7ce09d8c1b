using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Models;

namespace Compose.Runtime;

/// <summary>Read, check, compile and build a pipeline file in one step: the entry point hosts use.</summary>
public static class PipelineFactory
{
    /// <summary>Loads <paramref name="path"/>; on any error the pipeline is null and the diagnostics say why.</summary>
    public static (CompiledPipeline? Pipeline, ImmutableArray<Diagnostic> Diagnostics) Load(
        string path, ModelProviderCatalog catalog, PipelineBuildOptions? options = null, ModelProviderContext? context = null)
    {
        var full = Path.GetFullPath(path);
        context ??= new ModelProviderContext { BaseDirectory = Path.GetDirectoryName(full)!, Catalog = catalog };
        context = context with { PipelineChain = context.PipelineChain.Contains(full) ? context.PipelineChain : [.. context.PipelineChain, full] };
        var compiled = PipelineLoader.Load(path, catalog, context);
        if (!compiled.Success)
        {
            return (null, compiled.Diagnostics);
        }

        var (pipeline, built) = CompiledPipeline.Build(compiled.Graph!, catalog, context, options);
        return (pipeline, compiled.Diagnostics.AddRange(built));
    }
}
