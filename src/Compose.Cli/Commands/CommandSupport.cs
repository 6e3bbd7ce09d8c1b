using System.Collections.Immutable;
using System.CommandLine;
using Compose.Compilation;
using Compose.IO;
using Compose.Language;
using Compose.Models;
using Compose.Prompts;
using Compose.Runtime;
using Compose.Techniques;

namespace Compose.Cli.Commands;

internal static class CommandSupport
{
    /// <summary>The <c>--models FILE</c> option: bind models from a file over the pipeline's own.</summary>
    public static Option<string?> ModelsOption() =>
        new("--models") { Description = "A YAML file with 'models:' (pipeline syntax) bound over the pipeline's models of the same name." };

    /// <summary>
    /// The file bounds of this invocation: the global <c>--allow-path</c>, <c>--max-file-bytes</c> and
    /// <c>--max-data-bytes</c> options over <see cref="FileAccessPolicy.Default"/>.
    /// </summary>
    public static FileAccessPolicy Files(ParseResult parse)
    {
        var policy = FileAccessPolicy.Default.WithLimits(parse.GetValue<long?>(FileBoundsOptions.MaxFileBytesName), parse.GetValue<long?>(FileBoundsOptions.MaxDataBytesName));
        return parse.GetValue<string[]>(FileBoundsOptions.AllowPathName) is { Length: > 0 } roots ? policy.Allow(roots) : policy;
    }

    public static ModelProviderContext Context(string path, CliConsole console, ParseResult parse) => new()
    {
        BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!,
        Catalog = TechniqueOptions.Catalog(parse),
        Environment = console.Environment,
        Files = Files(parse),
    };

    /// <summary>
    /// Checks a benchmark named on the command line (a regular file within <c>--max-data-bytes</c>); prints
    /// the problem and returns false when it cannot be read.
    /// </summary>
    public static async Task<bool> CheckBenchmarkAsync(string path, ParseResult parse, CliConsole console)
    {
        if (SafeFile.Check(path, Files(parse).MaxDataBytes, "benchmark", "--max-data-bytes") is not { } problem)
        {
            return true;
        }

        var diagnostic = problem.Code == DiagnosticCodes.FileUnreadable
            ? Diagnostic.Error(Compose.Evaluation.EvaluationDiagnosticCodes.BenchmarkUnreadable, new SourceLocation(path, 0, 0), problem.Message, "A benchmark is a JSONL file, one item per line.")
            : problem.ToDiagnostic(new SourceLocation(path, 0, 0));
        DiagnosticPrinter.Print(console.Error, [diagnostic]);
        await console.Error.FlushAsync().ConfigureAwait(false);
        return false;
    }

    /// <summary>The number of non-blank lines of a benchmark already checked by <see cref="CheckBenchmarkAsync"/>.</summary>
    public static int CountItems(string path, ParseResult parse)
    {
        var (lines, _) = SafeFile.OpenLines(path, Files(parse), "benchmark");
        try
        {
            return lines?.Count(l => !string.IsNullOrWhiteSpace(l)) ?? 0;
        }
        catch (IOException)
        {
            return 0; // the evaluation itself reports the problem with its line
        }
    }

    /// <summary>Reads the bindings file, if any. Problems are returned; models are empty then.</summary>
    public static (ImmutableArray<ModelSpec> Models, ImmutableArray<Diagnostic> Diagnostics) ReadModels(string? modelsFile, ParseResult parse) =>
        modelsFile is null ? ([], []) : ModelsFileReader.ReadFile(modelsFile, Files(parse));

    /// <summary>Compiles a pipeline file with optional bindings, all diagnostics of both files together.</summary>
    public static CompileResult Compile(string path, string? modelsFile, CliConsole console, ParseResult parse)
    {
        var (models, problems) = ReadModels(modelsFile, parse);
        if (problems.Any(d => d.IsError))
        {
            return new CompileResult(null, problems);
        }

        var result = PipelineFactory.Compile(path, TechniqueOptions.Catalog(parse), models, Context(path, console, parse));
        return result with { Diagnostics = problems.AddRange(result.Diagnostics) };
    }

    /// <summary>Problems in prompt template overrides (syntax, unreadable or confined files), found without building models.</summary>
    public static IEnumerable<Diagnostic> TemplateProblems(PipelineGraph graph, ParseResult parse)
    {
        var (techniques, files) = (TechniqueOptions.Catalog(parse).TechniqueCatalog(), Files(parse));
        return graph.Nodes.SelectMany(n => PromptLibrary.Resolve(n.Spec, techniques.For(n.Spec).Templates, graph.Spec.BaseDirectory, files).Diagnostics);
    }
}
