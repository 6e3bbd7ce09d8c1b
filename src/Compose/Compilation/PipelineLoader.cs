using System.Collections.Immutable;
using Compose.Language;
using Compose.Models;

namespace Compose.Compilation;

/// <summary>Read and compile a pipeline file in one step, with the diagnostics of both phases.</summary>
public static class PipelineLoader
{
    /// <summary>
    /// Reads <paramref name="path"/> and, when the reader produced a spec (even a partial one), compiles it.
    /// Composition and budget checks run only when the reader found no error inside <c>layers:</c>.
    /// </summary>
    public static CompileResult Load(string path, ModelProviderCatalog catalog, ModelProviderContext? context = null)
    {
        var read = PipelineReader.ReadFile(path, context?.Files, catalog.Techniques);
        return Compile(read, catalog, context);
    }

    /// <summary>Like <see cref="Load"/> for text already in memory.</summary>
    public static CompileResult LoadText(string yaml, string filePath, ModelProviderCatalog catalog, ModelProviderContext? context = null) =>
        Compile(PipelineReader.Read(yaml, filePath, catalog.Techniques), catalog, context);

    private static CompileResult Compile(ReadResult read, ModelProviderCatalog catalog, ModelProviderContext? context)
    {
        if (read.Spec is null)
        {
            return new CompileResult(null, read.Diagnostics);
        }

        context ??= new ModelProviderContext { BaseDirectory = BaseDirectory(read.Spec), Catalog = catalog };
        var compiled = PipelineCompiler.Compile(read.Spec, catalog, context, read.LayersIntact);
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
