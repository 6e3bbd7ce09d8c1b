using Compose.Evaluation.Running;
using Compose.Language;
using Compose.Models;
using Compose.Search.Space;
using Compose.Search.Trials;

namespace Compose.Cluster;

/// <summary>
/// Evaluates an architecture on a cluster (<c>compose search --cluster</c>): writes it as a pipeline (as
/// <see cref="PipelineTrialEvaluator"/> does, at a path in the space's folder so its relative paths resolve there,
/// the space's models file sent with it), checks it here, and has its first <c>fidelity</c> items answered on the
/// silos behind the cluster's shared response cache. Calls counts every call the pipeline requested (the silos count
/// them per item), paid calls those the cache passed on to a model.
/// </summary>
public sealed class ClusterTrialEvaluator(
    ClusterDispatcher dispatcher, SearchSpace space, ModelProviderCatalog catalog, IReadOnlyList<SiloView> silos,
    string benchmark, int fullFidelity, string scorer, double scorerTimeoutSeconds) : ITrialEvaluator
{
    public int FullFidelity => fullFidelity;

    private long _requested;
    private long _paid;

    public int Concurrency { get; init; } = 4;

    /// <summary>Calls the trials evaluated here requested, answers from the cluster's cache included.</summary>
    public long Requested => Interlocked.Read(ref _requested);

    /// <summary>Calls of the trials evaluated here that reached a model.</summary>
    public long Paid => Interlocked.Read(ref _paid);

    /// <summary>The share of requested calls the cluster's cache answered (0 when there were none).</summary>
    public double SavedShare => Requested == 0 ? 0 : (double)(Requested - Paid) / Requested;

    /// <summary>The job that answers <paramref name="architecture"/>'s items with run seed <paramref name="seed"/>.</summary>
    public EvalJob Job(Architecture architecture, long seed)
    {
        var text = ArchitectureWriter.ToYaml(architecture, space, "architecture", schema: null);
        var path = Path.Combine(space.BaseDirectory, "architecture.yaml");
        var modelsText = space.ModelsFile is { } file ? File.ReadAllText(file) : null;
        return ClusterEvaluation.Job(text, path, modelsText, space.ModelsFile, scorer, null, scorerTimeoutSeconds, seed, space.Files);
    }

    public async Task<TrialOutcome> EvaluateAsync(Architecture architecture, int fidelity, long seed, CancellationToken cancellationToken)
    {
        var job = Job(architecture, seed);
        var diagnostics = ClusterEvaluation.Check(job, catalog, silos, space.Files);
        if (diagnostics.Any(d => d.IsError))
        {
            throw new DiagnosticException([.. diagnostics.Where(d => d.IsError)]);
        }

        long requested = 0;
        var report = await Evaluator.RunAsync("architecture", ClusterEvaluation.Evaluate(dispatcher, job, o => Interlocked.Add(ref requested, o.Requested)), benchmark,
            new EvalOptions { Seed = seed, Limit = fidelity, Concurrency = Concurrency, Files = space.Files }, cancellationToken).ConfigureAwait(false);
        var paid = report.Calls;
        // A silo that does not count requests (an older one) reports none: its items' calls are then those paid.
        var calls = Math.Max(Interlocked.Read(ref requested), paid);
        Interlocked.Add(ref _requested, calls);
        Interlocked.Add(ref _paid, paid);
        return new TrialOutcome(report.Items.Count(i => i.Correct), report.Items.Length, calls, report.Tokens, report.Cost, paid);
    }
}
