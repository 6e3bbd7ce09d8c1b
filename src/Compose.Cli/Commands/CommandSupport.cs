using Compose.Compilation;
using Compose.Language;
using Compose.Prompts;

namespace Compose.Cli.Commands;

internal static class CommandSupport
{
    /// <summary>Problems in prompt template overrides (syntax, unreadable files), found without building models.</summary>
    public static IEnumerable<Diagnostic> TemplateProblems(PipelineGraph graph) =>
        graph.Nodes.SelectMany(n => PromptLibrary.Resolve(n.Spec, graph.Spec.BaseDirectory).Diagnostics);
}
