using System.Collections.Immutable;
using Compose.Language;
using Compose.Search.Optimizers;
using Compose.Search.Study;
using Compose.Search.Trials;

namespace Compose.Search;

/// <summary>The outcome of a study: every trial, the best architecture at full fidelity, and the trials resumed.</summary>
public sealed record SearchResult(ImmutableArray<TrialRecord> Trials, TrialRecord? Best, int Reused, int Rerun)
{
    /// <summary>Evaluations in full-benchmark equivalents (a trial on a third of the items counts a third).</summary>
    public double FullEvaluations(int fullFidelity) => Trials.Sum(t => (double)t.Fidelity / Math.Max(1, fullFidelity));
}

/// <summary>
/// Runs a study: asks the optimizer for the next trial given the finished ones, writes it as running,
/// evaluates it, writes it as done. With a store, a resumed study replays its finished trials (checking
/// that the optimizer proposes the same ones), re-runs only the trial that was running, and goes on.
/// </summary>
public static class SearchRunner
{
    public static async Task<SearchResult> RunAsync(
        IOptimizer optimizer, OptimizerContext context, ITrialEvaluator evaluator, IStudyStore? store,
        IProgress<TrialRecord>? progress = null, CancellationToken cancellationToken = default)
    {
        var stored = store?.Trials().ToDictionary(t => t.Number) ?? [];
        var history = new List<TrialRecord>();
        int reused = 0, rerun = 0;
        while (optimizer.Next(context, history) is { } proposal)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var number = history.Count;
            var trial = new TrialRecord(number, proposal.Architecture, proposal.Fidelity, context.Seed);
            if (stored.TryGetValue(number, out var earlier))
            {
                if (earlier.Architecture.Key != trial.Architecture.Key || earlier.Fidelity != trial.Fidelity)
                {
                    throw new DiagnosticException([Diagnostic.Error(SearchDiagnosticCodes.StudyMismatch, new SourceLocation(store!.Path, 0, 0),
                        $"trial {number} in the study is {earlier.Architecture.Key} at {earlier.Fidelity} items, but the optimizer now proposes {trial.Architecture.Key} at {trial.Fidelity}",
                        "The space, its models or --trials (successive halving plans by it) changed since the study started: give --out another folder, or pass --fresh to start a new study there.")]);
                }

                if (earlier.Status == TrialStatus.Done)
                {
                    history.Add(earlier);
                    reused++;
                    progress?.Report(earlier);
                    continue;
                }

                rerun++;
            }

            store?.Start(trial);
            var outcome = await evaluator.EvaluateAsync(trial.Architecture, trial.Fidelity, trial.Seed, cancellationToken).ConfigureAwait(false);
            var done = trial with
            {
                Status = TrialStatus.Done,
                Correct = outcome.Correct,
                Items = outcome.Items,
                Calls = outcome.Calls,
                Tokens = outcome.Tokens,
                Cost = outcome.Cost,
                PaidCalls = outcome.PaidCalls,
                Attempts = (earlier?.Attempts ?? 0) + 1,
            };
            store?.Finish(done);
            history.Add(done);
            progress?.Report(done);
        }

        return new SearchResult([.. history], Best(history, context.FullFidelity), reused, rerun);
    }

    /// <summary>The most accurate trial at the highest fidelity reached (fewer calls per question breaks ties, then the earlier).</summary>
    public static TrialRecord? Best(IReadOnlyList<TrialRecord> trials, int fullFidelity)
    {
        if (trials.Count == 0)
        {
            return null;
        }

        var top = trials.Max(t => t.Fidelity);
        return trials.Where(t => t.Fidelity == top)
            .OrderByDescending(t => t.Accuracy).ThenBy(t => t.CallsPerItem).ThenBy(t => t.Number).First();
    }
}
