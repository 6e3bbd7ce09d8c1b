using System.Collections.Immutable;
using System.Text;
using Compose.Compilation;
using Compose.IO;
using Compose.Language;
using Compose.Models;
using Compose.Runtime;

namespace Compose.Import;

/// <summary>How an import names its source and checks its result.</summary>
public sealed record ArchonImportOptions
{
    /// <summary>The source as the header comment names it (default: the path or name given).</summary>
    public string? SourceLabel { get; init; }

    /// <summary>
    /// Compile the written pipeline (default true): a pipeline that does not compile, or whose static bound differs
    /// from what the import counted, is reported as a bug of the importer (CMP100).
    /// </summary>
    public bool Validate { get; init; } = true;

    /// <summary>The providers and techniques to validate against (default: <see cref="StandardProviders.Catalog"/>).</summary>
    public ModelProviderCatalog? Catalog { get; init; }

    /// <summary>Bounds on reading the file.</summary>
    public FileAccessPolicy FilePolicy { get; init; } = FileAccessPolicy.Default;
}

/// <summary>
/// Imports Archon architectures (Archon's JSON files) as Compose pipeline files. Every problem is a diagnostic
/// located in the JSON file; what Archon would silently ignore is a warning that says what Archon did with it.
/// The written pipeline validates and its static bound on calls per question is the number of calls Archon makes
/// (docs/archon.md), except where a warning (CMP947) says why not.
/// </summary>
public static class ArchonImporter
{
    /// <summary>Imports the Archon file at <paramref name="path"/>.</summary>
    public static ImportResult Import(string path, ArchonImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new ArchonImportOptions();
        var (bytes, error) = Read(path, options.FilePolicy);
        return error is not null
            ? new ImportResult(null, [error])
            : ImportBytes(bytes!, path, options);
    }

    /// <summary>Imports Archon JSON given as text; <paramref name="fileName"/> locates the diagnostics.</summary>
    public static ImportResult ImportText(string json, string fileName, ArchonImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(fileName);
        return ImportBytes(Encoding.UTF8.GetBytes(json), fileName, options ?? new ArchonImportOptions());
    }

    private static ImportResult ImportBytes(byte[] bytes, string file, ArchonImportOptions options)
    {
        var diagnostics = new List<Diagnostic>();
        var (root, syntax) = LocatedJson.Parse(bytes, file);
        if (syntax is not null)
        {
            return new ImportResult(null, [syntax]);
        }

        var architecture = new ArchonReader(diagnostics).Read(root!);
        if (architecture is null || diagnostics.Any(d => d.IsError))
        {
            return new ImportResult(null, Sorted(diagnostics));
        }

        var plan = new ArchonPlanner(diagnostics).Plan(architecture);
        if (plan is null || diagnostics.Any(d => d.IsError))
        {
            return new ImportResult(null, Sorted(diagnostics));
        }

        var name = architecture.Name ?? Path.GetFileNameWithoutExtension(file);
        var yaml = ArchonPipelineWriter.Write(plan, name, options.SourceLabel ?? file);
        if (options.Validate)
        {
            var catalog = options.Catalog ?? StandardProviders.Catalog;
            var compiled = PipelineCompiler.CompileText(yaml, Path.ChangeExtension(file, ".yaml"), catalog, new ModelProviderContext { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".", Catalog = catalog, Environment = _ => "set" });
            var errors = compiled.Diagnostics.Where(d => d.IsError).ToList();
            if (errors.Count > 0 || compiled.Graph is null)
            {
                diagnostics.Add(Diagnostic.Error(DiagnosticCodes.InternalError, root!.Location, $"the written pipeline does not validate ({errors.FirstOrDefault()}): a bug in the importer", "please report it with the Archon file"));
                return new ImportResult(null, Sorted(diagnostics)) { ArchonCalls = plan.ArchonCalls };
            }

            if (compiled.Graph.Bound.Calls != plan.PipelineCalls)
            {
                diagnostics.Add(Diagnostic.Error(DiagnosticCodes.InternalError, root!.Location, $"the written pipeline's bound is {compiled.Graph.Bound.Calls} calls, not the {plan.PipelineCalls} the import counted: a bug in the importer", "please report it with the Archon file"));
                return new ImportResult(null, Sorted(diagnostics)) { ArchonCalls = plan.ArchonCalls };
            }
        }

        return new ImportResult(yaml, Sorted(diagnostics)) { ArchonCalls = plan.ArchonCalls, PipelineCalls = plan.PipelineCalls };
    }

    private static (byte[]? Bytes, Diagnostic? Error) Read(string path, FileAccessPolicy policy)
    {
        var location = new SourceLocation(path, 0, 0);
        if (SafeFile.Check(path, policy.MaxFileBytes, "Archon file") is { } problem)
        {
            return (null, problem.ToDiagnostic(location));
        }

        try
        {
            return (File.ReadAllBytes(path), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, Diagnostic.Error(DiagnosticCodes.FileUnreadable, location, $"cannot read Archon file '{path}': {e.Message}", "check the path and the file's permissions"));
        }
    }

    private static ImmutableArray<Diagnostic> Sorted(List<Diagnostic> diagnostics) =>
        [.. diagnostics.OrderBy(d => d.Location.Line).ThenBy(d => d.Location.Column)];
}
