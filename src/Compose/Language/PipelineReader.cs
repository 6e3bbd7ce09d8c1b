using System.Collections.Immutable;

namespace Compose.Language;

/// <summary>
/// The READ phase: pipeline YAML to a typed <see cref="PipelineSpec"/>, with every problem of the file
/// reported in one pass as a located <see cref="Diagnostic"/>. Never throws on any input.
/// </summary>
public static class PipelineReader
{
    /// <summary>
    /// Reads pipeline text; <paramref name="filePath"/> is used for locations and relative paths. The techniques a
    /// layer may name are <paramref name="techniques"/>' (the built-ins when null).
    /// </summary>
    public static ReadResult Read(string yaml, string filePath, TechniqueSet? techniques = null)
    {
        var diagnostics = new List<Diagnostic>();
        filePath ??= "";
        try
        {
            var root = YamlTreeLoader.Load(yaml ?? "", filePath, diagnostics);
            if (diagnostics.Any(d => d.IsError))
            {
                return new ReadResult(null, Sorted(diagnostics)) { LayersIntact = false };
            }

            var builder = new SpecBuilder(filePath, diagnostics, techniques ?? TechniqueSet.BuiltIn);
            var spec = builder.Build(root);
            return new ReadResult(spec, Sorted(diagnostics)) { LayersIntact = builder.LayersIntact };
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            diagnostics.Add(Diagnostic.Error(
                DiagnosticCodes.InternalError,
                new SourceLocation(filePath, 1, 1),
                $"internal error while reading the pipeline: {exception.GetType().Name}: {exception.Message}",
                "this is a bug in Compose; please report it with the file"));
            return new ReadResult(null, Sorted(diagnostics)) { LayersIntact = false };
        }
    }

    /// <summary>
    /// Reads a pipeline file within <paramref name="files"/>' bounds (a regular file, its size capped, the read
    /// timed); a missing, special, oversized or unreadable file is a diagnostic, not an exception.
    /// </summary>
    public static ReadResult ReadFile(string path, Compose.IO.FileAccessPolicy? files = null, TechniqueSet? techniques = null)
    {
        var (text, error) = Compose.IO.SafeFile.ReadText(path ?? "", files ?? Compose.IO.FileAccessPolicy.Default, "pipeline file");
        if (error is not null)
        {
            return new ReadResult(null, [error.ToDiagnostic(new SourceLocation(path ?? "", 0, 0))]) { LayersIntact = false };
        }

        return Read(text!, path!, techniques);
    }

    internal static ImmutableArray<Diagnostic> Sorted(IEnumerable<Diagnostic> diagnostics) =>
        [.. diagnostics.Select((d, i) => (d, i)).OrderBy(x => x.d.Location.Line).ThenBy(x => x.d.Location.Column).ThenBy(x => x.i).Select(x => x.d)];
}
