using Compose.Compilation;
using Compose.Language;
using Compose.Runtime;
using Microsoft.Extensions.AI;

using Compose.Models;

namespace Compose.Runtime;

/// <summary>
/// <c>provider: pipeline</c>: another pipeline file used as a model (<c>path:</c>, relative to this
/// file). The inner pipeline's calls count against the outer question's budget, as they share the
/// question scope. A pipeline that reaches itself again is reported as a cycle.
/// </summary>
public sealed class PipelineModelProvider : IModelProvider
{
    public const string MissingPath = "CMP370";
    public const string FileNotFound = "CMP371";
    public const string UnknownOption = "CMP372";

    public string Name => "pipeline";

    public IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context)
    {
        var diagnostics = new List<Diagnostic>();
        var options = new ModelOptionsReader(Name, spec, diagnostics);
        options.Known(["path"], new(UnknownOption, hint: "A pipeline model takes only: path."));
        var path = options.Required(
            "path",
            new(MissingPath, $"model '{spec.Name}' (provider: pipeline) needs 'path', the pipeline file to use", "For example: path: pipelines/self-consistency.yaml"),
            RequiredText.MayBeEmpty);
        if (path is null)
        {
            return diagnostics;
        }

        var (full, outside) = context.ResolvePath(path.Value, "pipeline model file");
        var problem = outside ?? Compose.IO.SafeFile.Check(full!, context.Files.MaxFileBytes, "pipeline model file");
        if (problem is { Code: DiagnosticCodes.FileUnreadable })
        {
            diagnostics.Add(Diagnostic.Error(FileNotFound, path.Location, $"pipeline file '{path.Value}' does not exist (looked for {full ?? path.Value})", "Paths are relative to the folder of the pipeline file that names them."));
        }
        else if (problem is not null)
        {
            diagnostics.Add(problem.ToDiagnostic(path.Location));
        }
        else if (context.PipelineChain.Contains(full!, StringComparer.Ordinal))
        {
            diagnostics.Add(Diagnostic.Error(RuntimeDiagnosticCodes.PipelineCycle, path.Location,
                $"pipeline '{path.Value}' uses itself as a model ({string.Join(" -> ", context.PipelineChain.Select(Path.GetFileName))} -> {Path.GetFileName(full!)})",
                "Break the cycle: a pipeline cannot be a model of itself, directly or through others."));
        }

        return diagnostics;
    }

    public IChatClient Create(ModelSpec spec, ModelProviderContext context)
    {
        var problems = Check(spec, context).ToList();
        if (problems.Count > 0)
        {
            throw new DiagnosticException(problems);
        }

        var full = context.ResolvePath(((SpecScalar)spec.Options["path"]!).Value, "pipeline model file").Path!;
        var inner = context with
        {
            BaseDirectory = Path.GetDirectoryName(full)!,
            PipelineChain = [.. context.PipelineChain, full],
        };
        var compiled = PipelineCompiler.CompileFile(full, context.Catalog, inner);
        if (!compiled.Success)
        {
            throw new DiagnosticException([.. compiled.Diagnostics.Where(d => d.IsError)]);
        }

        var (pipeline, diagnostics) = RunnablePipeline.Build(compiled.Graph!, context.Catalog, inner);
        return pipeline ?? throw new DiagnosticException([.. diagnostics.Where(d => d.IsError)]);
    }
}
