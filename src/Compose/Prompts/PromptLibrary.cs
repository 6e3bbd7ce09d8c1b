using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using Compose.IO;
using Compose.Language;
using Compose.Runtime;

namespace Compose.Prompts;

/// <summary>
/// The default prompt templates shipped with Compose (embedded <c>Prompts/Templates/*.sbn</c>) and the
/// resolution of a technique's templates: a per-technique override (inline or file) wins over the default.
/// </summary>
public static class PromptLibrary
{
    private static readonly ConcurrentDictionary<string, PromptTemplate> BuiltIns = new(StringComparer.Ordinal);

    /// <summary>Template names per technique kind; the first is the one <c>prompt:</c> overrides.</summary>
    public static ImmutableDictionary<string, ImmutableArray<string>> TemplatesByTechnique => PipelineKeys.Templates;

    /// <summary>Every built-in template name.</summary>
    public static IEnumerable<string> BuiltInNames =>
        TemplatesByTechnique.Values.SelectMany(v => v).Distinct().Order(StringComparer.Ordinal);

    /// <summary>The text of a built-in template.</summary>
    public static string BuiltInText(string name)
    {
        var resource = $"Compose.Prompts.{name}.sbn";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Built-in prompt template '{name}' is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The parsed built-in template (parsed once per process).</summary>
    public static PromptTemplate BuiltIn(string name) =>
        BuiltIns.GetOrAdd(name, static n =>
        {
            var (template, diagnostics) = PromptTemplate.Parse(n, BuiltInText(n), "built-in", SourceLocation.None);
            return template ?? throw new InvalidOperationException($"Built-in template '{n}' does not parse: {diagnostics[0]}");
        });

    /// <summary>
    /// The templates a technique uses, by name, with overrides applied. Override problems (file
    /// missing, outside the pipeline's folder, too large, not a regular file, syntax errors) are returned
    /// as diagnostics. A template file is confined to <paramref name="baseDirectory"/>'s tree (after
    /// symlinks) or a folder <paramref name="files"/> allows, and read within its size and time bounds.
    /// </summary>
    public static (ImmutableDictionary<string, PromptTemplate> Templates, IReadOnlyList<Diagnostic> Diagnostics) Resolve(
        TechniqueSpec technique, string baseDirectory, FileAccessPolicy? files = null)
    {
        files ??= FileAccessPolicy.Default;
        var diagnostics = new List<Diagnostic>();
        var result = ImmutableDictionary.CreateBuilder<string, PromptTemplate>(StringComparer.Ordinal);
        var names = TemplatesByTechnique.TryGetValue(technique.Kind, out var n) ? n : [];
        foreach (var name in names)
        {
            if (!technique.Prompts.TryGetValue(name, out var over))
            {
                result[name] = BuiltIn(name);
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
                        ? Diagnostic.Error(RuntimeDiagnosticCodes.TemplateFile, over.Location, error.Message, "Paths are relative to the pipeline file's folder.")
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
