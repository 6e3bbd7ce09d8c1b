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
        foreach (var entry in spec.Options.Entries.Where(e => e.Key != "path"))
        {
            yield return Diagnostic.Error(UnknownOption, entry.KeyLocation, $"unknown option '{entry.Key}' for a pipeline model", "A pipeline model takes only: path.");
        }

        if (spec.Options["path"] is not SpecScalar path)
        {
            yield return Diagnostic.Error(MissingPath, spec.Location, $"model '{spec.Name}' (provider: pipeline) needs 'path', the pipeline file to use", "For example: path: pipelines/self-consistency.yaml");
            yield break;
        }

        var (full, outside) = context.ResolvePath(path.Value, "pipeline model file");
        var problem = outside ?? Compose.IO.SafeFile.Check(full!, context.Files.MaxFileBytes, "pipeline model file");
        if (problem is { Code: DiagnosticCodes.FileUnreadable })
        {
            yield return Diagnostic.Error(FileNotFound, path.Location, $"pipeline file '{path.Value}' does not exist (looked for {full ?? path.Value})", "Paths are relative to the folder of the pipeline file that names them.");
        }
        else if (problem is not null)
        {
            yield return problem.ToDiagnostic(path.Location);
        }
        else if (context.PipelineChain.Contains(full!, StringComparer.Ordinal))
        {
            yield return Diagnostic.Error(RuntimeDiagnosticCodes.PipelineCycle, path.Location,
                $"pipeline '{path.Value}' uses itself as a model ({string.Join(" -> ", context.PipelineChain.Select(Path.GetFileName))} -> {Path.GetFileName(full!)})",
                "Break the cycle: a pipeline cannot be a model of itself, directly or through others.");
        }
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
