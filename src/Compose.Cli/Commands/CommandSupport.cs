using System.Collections.Immutable;
using System.CommandLine;
using Compose.Compilation;
using Compose.Language;
using Compose.Models;
using Compose.Prompts;
using Compose.Runtime;

namespace Compose.Cli.Commands;

internal static class CommandSupport
{
    /// <summary>The <c>--models FILE</c> option: bind models from a file over the pipeline's own.</summary>
    public static Option<string?> ModelsOption() =>
        new("--models") { Description = "A YAML file with 'models:' (pipeline syntax) bound over the pipeline's models of the same name." };

    public static ModelProviderContext Context(string path, CliConsole console) => new()
    {
        BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!,
        Catalog = ProviderSetup.Catalog,
        Environment = console.Environment,
    };

    /// <summary>Reads the bindings file, if any. Problems are returned; models are empty then.</summary>
    public static (ImmutableArray<ModelSpec> Models, ImmutableArray<Diagnostic> Diagnostics) ReadModels(string? modelsFile) =>
        modelsFile is null ? ([], []) : ModelsFileReader.ReadFile(modelsFile);

    /// <summary>Compiles a pipeline file with optional bindings, all diagnostics of both files together.</summary>
    public static CompileResult Compile(string path, string? modelsFile, CliConsole console)
    {
        var (models, problems) = ReadModels(modelsFile);
        if (problems.Any(d => d.IsError))
        {
            return new CompileResult(null, problems);
        }

        var result = PipelineFactory.Compile(path, ProviderSetup.Catalog, models, Context(path, console));
        return result with { Diagnostics = problems.AddRange(result.Diagnostics) };
    }

    /// <summary>Problems in prompt template overrides (syntax, unreadable files), found without building models.</summary>
    public static IEnumerable<Diagnostic> TemplateProblems(PipelineGraph graph) =>
        graph.Nodes.SelectMany(n => PromptLibrary.Resolve(n.Spec, graph.Spec.BaseDirectory).Diagnostics);
}
