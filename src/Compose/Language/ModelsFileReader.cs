using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// Reads a model bindings file (<c>models:</c> only, same syntax as in a pipeline) and binds it to a
/// pipeline: models of the same name are replaced, others added. This lets one pipeline file run
/// over different models (<c>compose run --models FILE</c>).
/// </summary>
public static class ModelsFileReader
{
    /// <summary>Reads a models file within <paramref name="files"/>' bounds; every problem is a diagnostic.</summary>
    public static (ImmutableArray<ModelSpec> Models, ImmutableArray<Diagnostic> Diagnostics) ReadFile(string path, Compose.IO.FileAccessPolicy? files = null)
    {
        var (read, error) = Compose.IO.SafeFile.ReadText(path, files ?? Compose.IO.FileAccessPolicy.Default, "models file");
        if (error is not null)
        {
            return ([], [error.ToDiagnostic(new SourceLocation(path, 0, 0))]);
        }

        return Read(read!, path);
    }

    /// <summary>Reads a models file's text; <paramref name="path"/> names it in diagnostics and locations (relative model paths resolve against its folder).</summary>
    public static (ImmutableArray<ModelSpec> Models, ImmutableArray<Diagnostic> Diagnostics) Read(string text, string path)
    {
        var diagnostics = new List<Diagnostic>();
        try
        {
            var root = YamlTreeLoader.Load(text, path, diagnostics);
            if (diagnostics.Any(d => d.IsError))
            {
                return ([], PipelineReader.Sorted(diagnostics));
            }

            var models = new SpecBuilder(path, diagnostics, TechniqueSet.BuiltIn).BuildModelsFile(root);
            return (models, PipelineReader.Sorted(diagnostics));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            diagnostics.Add(Diagnostic.Error(DiagnosticCodes.InternalError, new SourceLocation(path, 1, 1), $"internal error while reading the models file: {ex.Message}", "this is a bug in Compose; please report it with the file"));
            return ([], PipelineReader.Sorted(diagnostics));
        }
    }

    /// <summary>The pipeline with <paramref name="models"/> bound: same names replaced, new names added.</summary>
    public static PipelineSpec Bind(PipelineSpec spec, ImmutableArray<ModelSpec> models)
    {
        var names = models.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        return spec with { Models = [.. spec.Models.Where(m => !names.Contains(m.Name)), .. models] };
    }
}
