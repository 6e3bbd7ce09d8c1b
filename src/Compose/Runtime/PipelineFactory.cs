using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Models;

namespace Compose.Runtime;

/// <summary>Read, bind, check, compile and build a pipeline file in one step: the entry point hosts use.</summary>
public static class PipelineFactory
{
    /// <summary>
    /// Reads and compiles <paramref name="path"/>, binding <paramref name="models"/> over the file's own
    /// (same names replaced). Every problem of every phase comes back as a diagnostic.
    /// </summary>
    public static CompileResult Compile(string path, ModelProviderCatalog catalog, ImmutableArray<ModelSpec> models = default, ModelProviderContext? context = null)
    {
        context ??= ContextFor(path, catalog);
        if (models.IsDefaultOrEmpty)
        {
            return PipelineCompiler.CompileFile(path, catalog, context);
        }

        var read = PipelineReader.ReadFile(path, context.Files, catalog.Techniques);
        if (read.Spec is null || read.Diagnostics.Any(d => d.IsError))
        {
            return PipelineCompiler.CompileFile(path, catalog, context);
        }

        var compiled = PipelineCompiler.Compile(ModelsFileReader.Bind(read.Spec, models), catalog, context);
        return compiled with { Diagnostics = read.Diagnostics.AddRange(compiled.Diagnostics) };
    }

    /// <summary>Loads <paramref name="path"/> ready to run; on any error the pipeline is null and the diagnostics say why.</summary>
    public static (RunnablePipeline? Pipeline, ImmutableArray<Diagnostic> Diagnostics) Build(
        string path,
        ModelProviderCatalog catalog,
        PipelineBuildOptions? options = null,
        ModelProviderContext? context = null,
        ImmutableArray<ModelSpec> models = default)
    {
        context ??= ContextFor(path, catalog);
        var full = Path.GetFullPath(path);
        full = Compose.IO.SafePath.RealPath(full) ?? full;
        context = context with { PipelineChain = context.PipelineChain.Contains(full) ? context.PipelineChain : [.. context.PipelineChain, full] };
        var compiled = Compile(path, catalog, models, context);
        if (!compiled.Success)
        {
            return (null, compiled.Diagnostics);
        }

        var (pipeline, built) = RunnablePipeline.Build(compiled.Graph!, catalog, context, options);
        return (pipeline, Once(compiled.Diagnostics.AddRange(built)));
    }

    /// <summary>
    /// Each problem once: a warning the check phase gave (a key variable not set) that building then turned into
    /// an error at the same place is reported as that error only; exact repeats are dropped.
    /// </summary>
    internal static ImmutableArray<Diagnostic> Once(ImmutableArray<Diagnostic> diagnostics)
    {
        var errors = diagnostics.Where(d => d.IsError).Select(d => (d.Code, d.Location)).ToHashSet();
        var seen = new HashSet<(string, DiagnosticSeverity, string, SourceLocation)>();
        return [.. diagnostics.Where(d => (d.IsError || !errors.Contains((d.Code, d.Location))) && seen.Add((d.Code, d.Severity, d.Message, d.Location)))];
    }

    private static ModelProviderContext ContextFor(string path, ModelProviderCatalog catalog) =>
        new() { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!, Catalog = catalog };
}
