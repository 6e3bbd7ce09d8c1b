using Compose.Compilation;
using Compose.Evaluation.Caching;
using Compose.Evaluation.Running;
using Compose.Evaluation.Scoring;
using Compose.Language;
using Compose.Models;
using Compose.Runtime;
using Compose.Search.Space;

namespace Compose.Search.Trials;

/// <summary>
/// Evaluates an architecture for real: writes it as a pipeline with the space's models bound, compiles and
/// builds it (behind the response cache, when given) and runs it on the first <c>fidelity</c> benchmark
/// items. Calls counts every call the pipeline made; paid calls only those the cache passed to a model.
/// </summary>
public sealed class PipelineTrialEvaluator(SearchSpace space, ModelProviderCatalog catalog, string benchmark, int fullFidelity, IScorer scorer, ResponseCache? cache) : ITrialEvaluator
{
    public int FullFidelity => fullFidelity;

    public int Concurrency { get; init; } = 4;

    public async Task<TrialOutcome> EvaluateAsync(Architecture architecture, int fidelity, long seed, CancellationToken cancellationToken)
    {
        var (spec, diagnostics) = ArchitectureWriter.ToSpec(architecture, space);
        var context = new ModelProviderContext { BaseDirectory = space.BaseDirectory, Catalog = catalog, Files = space.Files };
        var compiled = spec is null ? null : PipelineCompiler.Compile(spec, catalog, context);
        if (compiled is null || !compiled.Success)
        {
            throw new DiagnosticException([.. diagnostics.AddRange(compiled?.Diagnostics ?? []).Where(d => d.IsError)]);
        }

        var (pipeline, built) = RunnablePipeline.Build(compiled.Graph!, catalog, context, cache?.Apply() ?? PipelineBuildOptions.Default);
        if (pipeline is null)
        {
            throw new DiagnosticException([.. built.Where(d => d.IsError)]);
        }

        using (pipeline)
        {
            var requestsBefore = cache?.Requests ?? 0;
            var report = await Evaluator.RunAsync(pipeline, benchmark, scorer, new EvalOptions { Seed = seed, Limit = fidelity, Concurrency = Concurrency, Files = space.Files }, cancellationToken).ConfigureAwait(false);
            var paid = report.Calls;
            var requested = cache is null ? paid : cache.Requests - requestsBefore;
            return new TrialOutcome(report.Items.Count(i => i.Correct), report.Items.Length, requested, report.Tokens, report.Cost, paid);
        }
    }
}
