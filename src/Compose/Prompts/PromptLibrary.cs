using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
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
    /// missing, syntax errors) are returned as diagnostics.
    /// </summary>
    public static (ImmutableDictionary<string, PromptTemplate> Templates, IReadOnlyList<Diagnostic> Diagnostics) Resolve(
        TechniqueSpec technique, string baseDirectory)
    {
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
                var path = Path.GetFullPath(Path.Combine(baseDirectory, file));
                try
                {
                    text = File.ReadAllText(path);
                    origin = path;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    diagnostics.Add(Diagnostic.Error(
                        RuntimeDiagnosticCodes.TemplateFile,
                        over.Location,
                        $"prompt template file '{file}' cannot be read: {ex.Message}",
                        "Paths are relative to the pipeline file's folder."));
                    continue;
                }
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
