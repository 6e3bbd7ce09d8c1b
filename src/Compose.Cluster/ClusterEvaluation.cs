using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Compose.Compilation;
using Compose.Evaluation.Benchmarks;
using Compose.Evaluation.Running;
using Compose.IO;
using Compose.Language;
using Compose.Models;

namespace Compose.Cluster;

/// <summary>Evaluating on a cluster from the coordinator's side: jobs, the check before any item runs, and the item runner.</summary>
public static class ClusterEvaluation
{
    /// <summary>
    /// The job for a pipeline given as text with the path it has here (and on every silo), an optional models file,
    /// the scorer (a judge's and a baseline's paths made absolute) and the run seed.
    /// </summary>
    public static EvalJob Job(
        string pipelineText, string pipelinePath, string? modelsText, string? modelsPath, string scorer, string? baseline, double scorerTimeoutSeconds, long seed,
        FileAccessPolicy? files = null)
    {
        files ??= FileAccessPolicy.Default;
        var scorerSpec = scorer.StartsWith("judge:", StringComparison.Ordinal) ? "judge:" + Path.GetFullPath(scorer["judge:".Length..]) : scorer;
        var job = new EvalJob
        {
            Id = "",
            PipelineText = pipelineText,
            PipelinePath = Path.GetFullPath(pipelinePath),
            ModelsText = modelsText,
            ModelsPath = modelsPath is null ? null : Path.GetFullPath(modelsPath),
            Scorer = scorerSpec,
            Baseline = baseline is null ? null : Path.GetFullPath(baseline),
            ScorerTimeoutSeconds = scorerTimeoutSeconds,
            Seed = seed,
            AllowedPaths = files.AllowedRoots.IsDefaultOrEmpty ? [] : files.AllowedRoots,
            MaxFileBytes = files.MaxFileBytes == FileAccessPolicy.Default.MaxFileBytes ? null : files.MaxFileBytes,
            MaxDataBytes = files.MaxDataBytes == FileAccessPolicy.Default.MaxDataBytes ? null : files.MaxDataBytes,
        };
        return job with { Id = IdOf(job) };
    }

    /// <summary>
    /// Checks the job's pipeline here as the silos will build it: models some silo hosts are checked there (their
    /// folders need not be on this machine), every other problem is reported before any item is sent.
    /// </summary>
    public static ImmutableArray<Diagnostic> Check(EvalJob job, ModelProviderCatalog catalog, IReadOnlyList<SiloView> silos, FileAccessPolicy? files = null)
    {
        var wrapped = ClusterModelProvider.Wrap(catalog, new ViewRouting(silos));
        var (spec, read) = Read(job, wrapped.Techniques);
        var diagnostics = read.ToBuilder();
        if (spec is null || diagnostics.Any(d => d.IsError))
        {
            return diagnostics.ToImmutable();
        }

        var context = new ModelProviderContext { BaseDirectory = Path.GetDirectoryName(job.PipelinePath)!, Catalog = wrapped, Files = files ?? FileAccessPolicy.Default };
        diagnostics.AddRange(PipelineCompiler.Compile(spec, wrapped, context).Diagnostics);
        return diagnostics.ToImmutable();
    }

    /// <summary>The job's pipeline read from its text with its models file bound over it, and every problem of both.</summary>
    internal static (PipelineSpec? Spec, ImmutableArray<Diagnostic> Diagnostics) Read(EvalJob job, TechniqueSet techniques)
    {
        var read = PipelineReader.Read(job.PipelineText, job.PipelinePath, techniques);
        var diagnostics = read.Diagnostics.ToBuilder();
        var spec = read.Spec;
        if (spec is not null && job.ModelsText is not null)
        {
            var (models, problems) = ModelsFileReader.Read(job.ModelsText, job.ModelsPath ?? "models.yaml");
            diagnostics.AddRange(problems);
            spec = ModelsFileReader.Bind(spec, models);
        }

        return (spec, diagnostics.ToImmutable());
    }

    /// <summary>
    /// Answers and scores items of <paramref name="job"/> on the cluster; a silo that cannot build the job stops the
    /// evaluation (CMP962). <paramref name="answered"/>, when given, sees each item's outcome (its silo, the calls it requested).
    /// </summary>
    public static Func<BenchmarkItem, CancellationToken, Task<ItemResult>> Evaluate(ClusterDispatcher dispatcher, EvalJob job, Action<ItemOutcome>? answered = null) => async (item, ct) =>
    {
        var outcome = await dispatcher.EvaluateAsync(new ItemWork { Job = job, Item = item.ToJsonLine() }, ct).ConfigureAwait(false);
        if (outcome.JobError is { } error)
        {
            throw new DiagnosticException([Diagnostic.Error(ClusterDiagnosticCodes.JobUnbuildable, new SourceLocation(job.PipelinePath, 0, 0), error,
                "Every silo must see the pipeline's files (prompt files, nested pipelines, model folders it does not get from another silo) at the same paths as this machine.")]);
        }

        var result = JsonSerializer.Deserialize<ItemResult>(outcome.Result, ResultsFile.Json)
            ?? throw new InvalidOperationException($"silo {outcome.Silo} returned no result for item {item.Id}");
        answered?.Invoke(outcome);
        return result;
    };

    private static string IdOf(EvalJob job)
    {
        var text = new StringBuilder();
        foreach (var part in new object?[] { job.PipelineText, job.PipelinePath, job.ModelsText, job.ModelsPath, job.Scorer, job.Baseline, job.ScorerTimeoutSeconds, job.Seed, string.Join('\n', job.AllowedPaths), job.MaxFileBytes, job.MaxDataBytes })
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{part}").Append('\0');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }
}
