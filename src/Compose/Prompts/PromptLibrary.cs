using System.Collections.Immutable;
using Compose.IO;
using Compose.Language;

namespace Compose.Prompts;

/// <summary>
/// The resolution of a technique's templates: a per-technique override (inline or file) wins over the technique's
/// default (<see cref="TechniqueTemplate"/>; the built-ins' defaults are <c>Techniques/*/Templates/*.sbn</c>).
/// </summary>
public static class PromptLibrary
{
    /// <summary>
    /// The templates a technique uses, by name, with overrides applied. Override problems (file
    /// missing, outside the pipeline's folder, too large, not a regular file, syntax errors) are returned
    /// as diagnostics. A template file is confined to <paramref name="baseDirectory"/>'s tree (after
    /// symlinks) or a folder <paramref name="files"/> allows, and read within its size and time bounds.
    /// </summary>
    public static (ImmutableDictionary<string, PromptTemplate> Templates, IReadOnlyList<Diagnostic> Diagnostics) Resolve(
        TechniqueSpec technique, IReadOnlyList<TechniqueTemplate> templates, string baseDirectory, FileAccessPolicy? files = null)
    {
        ArgumentNullException.ThrowIfNull(technique);
        ArgumentNullException.ThrowIfNull(templates);
        files ??= FileAccessPolicy.Default;
        var diagnostics = new List<Diagnostic>();
        var result = ImmutableDictionary.CreateBuilder<string, PromptTemplate>(StringComparer.Ordinal);
        foreach (var known in templates)
        {
            var name = known.Name;
            if (!technique.Prompts.TryGetValue(name, out var over))
            {
                result[name] = known.Default;
                continue;
            }

            string text;
            string origin;
            if (over.File is { } file)
            {
                var (path, outside) = SafePath.Confine(baseDirectory, file, files, "prompt template file");
                if (outside is not null)
                {
                    diagnostics.Add(outside.ToDiagnostic(over.Location));
                    continue;
                }

                var (read, error) = SafeFile.ReadText(path!, files, "prompt template file");
                if (error is not null)
                {
                    diagnostics.Add(error.Code == DiagnosticCodes.FileUnreadable
                        ? Diagnostic.Error(PromptDiagnosticCodes.TemplateFile, over.Location, error.Message, "Paths are relative to the pipeline file's folder.")
                        : error.ToDiagnostic(over.Location));
                    continue;
                }

                text = read!;
                origin = path!;
            }
            else
            {
                text = over.Inline ?? "";
                origin = "inline";
            }

            var (template, problems) = PromptTemplate.Parse(name, text, origin, over.Location);
            diagnostics.AddRange(problems);
            if (template is not null)
            {
                result[name] = template;
            }
        }

        return (result.ToImmutable(), diagnostics);
    }
}
