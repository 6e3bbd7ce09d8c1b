using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;

namespace Compose.Compilation;

/// <summary>
/// The CHECK/COMPILE phase (<see cref="CompileFile"/> reads and compiles a file in one step): resolves models against the providers of a catalog, checks how the layers
/// compose, bounds calls, tokens and cost statically and builds the <see cref="PipelineGraph"/>.
/// </summary>
public static class PipelineCompiler
{
    /// <summary>Tokens assumed for a prompt template's own text when bounding a call's input.</summary>
    public const int TemplateOverheadTokens = 256;

    public static CompileResult Compile(PipelineSpec spec, ModelProviderCatalog catalog, ModelProviderContext context) =>
        Compile(spec, catalog, context, layersIntact: true);

    internal static CompileResult Compile(PipelineSpec spec, ModelProviderCatalog catalog, ModelProviderContext context, bool layersIntact)
    {
        var diagnostics = new List<Diagnostic>();
        try
        {
            var graph = new CompilerRun(spec, catalog, context, diagnostics, layersIntact).Run();
            if (graph is not null && !diagnostics.Any(d => d.IsError))
            {
                diagnostics.AddRange(ContextCheck.Run(graph, catalog, context));
                if (diagnostics.Any(d => d.IsError))
                {
                    return new CompileResult(null, PipelineReader.Sorted(diagnostics));
                }
            }

            return new CompileResult(graph, PipelineReader.Sorted(diagnostics));
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            diagnostics.Add(Diagnostic.Error(
                DiagnosticCodes.InternalError,
                spec.Location.IsNone ? new SourceLocation(spec.SourceFile, 1, 1) : spec.Location,
                $"internal error while compiling the pipeline: {exception.GetType().Name}: {exception.Message}",
                "this is a bug in Compose; please report it with the file"));
            return new CompileResult(null, PipelineReader.Sorted(diagnostics));
        }
    }

    /// <summary>
    /// Reads <paramref name="path"/> and, when the reader produced a spec (even a partial one), compiles it.
    /// Composition and budget checks run only when the reader found no error inside <c>layers:</c>.
    /// </summary>
    public static CompileResult CompileFile(string path, ModelProviderCatalog catalog, ModelProviderContext? context = null)
    {
        var read = PipelineReader.ReadFile(path, context?.Files, catalog.Techniques);
        return CompileRead(read, catalog, context);
    }

    /// <summary>Like <see cref="CompileFile"/> for text already in memory.</summary>
    public static CompileResult CompileText(string yaml, string filePath, ModelProviderCatalog catalog, ModelProviderContext? context = null) =>
        CompileRead(PipelineReader.Read(yaml, filePath, catalog.Techniques), catalog, context);

    private static CompileResult CompileRead(ReadResult read, ModelProviderCatalog catalog, ModelProviderContext? context)
    {
        if (read.Spec is null)
        {
            return new CompileResult(null, read.Diagnostics);
        }

        context ??= new ModelProviderContext { BaseDirectory = BaseDirectory(read.Spec), Catalog = catalog };
        var compiled = Compile(read.Spec, catalog, context, read.LayersIntact);
        var graph = read.HasErrors ? null : compiled.Graph;
        return new CompileResult(graph, PipelineReader.Sorted(read.Diagnostics.Concat(compiled.Diagnostics)));
    }

    private static string BaseDirectory(PipelineSpec spec)
    {
        try
        {
            return spec.BaseDirectory;
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return Directory.GetCurrentDirectory();
        }
    }
}
