using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using Compose.Evaluation.Benchmarks;
using Compose.Evaluation.Scoring;
using Compose.Runtime;

namespace Compose.Evaluation.Running;

/// <summary>
/// Runs a pipeline over a benchmark: every item with the same run seed, several at once, each scored
/// as it finishes and appended to the results file, so an interrupted evaluation resumes where it stopped.
/// </summary>
public static class Evaluator
{
    public static Task<EvalReport> RunAsync(
        RunnablePipeline pipeline, string benchmarkPath, IScorer scorer, EvalOptions options, CancellationToken cancellationToken = default) =>
        RunAsync(pipeline.Spec.Name, (item, ct) => EvaluateItemAsync(pipeline, item, scorer, options.Seed, ct), benchmarkPath, options, cancellationToken);

    /// <summary>
    /// Runs <paramref name="evaluateItem"/> over a benchmark, as <see cref="RunAsync(RunnablePipeline, string, IScorer, EvalOptions, CancellationToken)"/>
    /// does with a local pipeline: several items at once, each result appended to the results file as it comes, an
    /// interrupted run resumed. <paramref name="evaluateItem"/> answers and scores one item wherever it runs (a cluster
    /// runs it on another machine) and throws only when the evaluation must stop.
    /// </summary>
    public static async Task<EvalReport> RunAsync(
        string name, Func<BenchmarkItem, CancellationToken, Task<ItemResult>> evaluateItem, string benchmarkPath, EvalOptions options, CancellationToken cancellationToken = default)
    {
        var earlier = options.ResultsPath is null ? [] : ResultsFile.ReadForResume(options.ResultsPath, options.Fingerprint);
        if (options.Limit is { } limit && !earlier.IsEmpty)
        {
            // An earlier run over more items: only the results of the first `limit` items count now.
            var wanted = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var item in BenchmarkReader.ReadAsync(benchmarkPath, limit, cancellationToken, options.Files).ConfigureAwait(false))
            {
                wanted.Add(item.Id);
            }

            earlier = [.. earlier.Where(r => wanted.Contains(r.Id))];
        }

        var done = earlier.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var results = new ConcurrentBag<ItemResult>(earlier);
        var total = options.Limit;
        var correct = earlier.Count(r => r.Correct);
        var finished = earlier.Length;
        options.Progress?.Report(new EvalProgress(finished, correct, total));

        using var writer = options.ResultsPath is null ? null : ResultsFile.OpenForAppend(options.ResultsPath, options.Fingerprint, name);
        using var writeLock = new SemaphoreSlim(1, 1);
        Exception? writeFailure = null;
        var items = BenchmarkReader.ReadAsync(benchmarkPath, options.Limit, cancellationToken, options.Files).Where(i => !done.Contains(i.Id));
        try
        {
            await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Concurrency), CancellationToken = cancellationToken }, async (item, ct) =>
            {
                var result = await evaluateItem(item, ct).ConfigureAwait(false);
                await writeLock.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    if (writer is not null)
                    {
                        try
                        {
                            await writer.AppendAsync(result, ct).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException)
                        {
                            writeFailure ??= ex;
                            throw;
                        }
                    }

                    results.Add(result);
                    finished++;
                    correct += result.Correct ? 1 : 0;
                    options.Progress?.Report(new EvalProgress(finished, correct, total));
                }
                finally
                {
                    writeLock.Release();
                }
            }).ConfigureAwait(false);
        }
        catch (Exception) when (writeFailure is not null)
        {
            // The results file could not take more: stop, keeping every line written so far.
            throw writeFailure;
        }

        var ordered = results.OrderBy(r => r.Id, NaturalIdComparer.Instance).ToImmutableArray();
        return new EvalReport(name, ordered, earlier.Length);
    }

    /// <summary>
    /// Runs and scores one item. A model error, a pipeline that throws or a scorer that fails is a wrong
    /// answer with the reason recorded (<see cref="ItemResult.Error"/>, <see cref="ItemResult.ScoreError"/>);
    /// only cancellation throws.
    /// </summary>
    public static async Task<ItemResult> EvaluateItemAsync(RunnablePipeline pipeline, BenchmarkItem item, IScorer scorer, long seed, CancellationToken cancellationToken)
    {
        RunResult run;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            run = await pipeline.RunAsync(item.ToQuestion(), new RunOptions { Seed = seed, QuestionId = item.Id }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            return new ItemResult
            {
                Id = item.Id,
                Reference = item.Reference,
                LatencyMs = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3),
                Error = $"the pipeline failed on this item: {ex.Message}",
            };
        }

        var score = await ScoreSafelyAsync(scorer, item, run.Answer, cancellationToken).ConfigureAwait(false);
        var scoreError = score.Failure;
        bool? covered = null;
        int? samples = null, samplesCorrect = null;
        if (scorer.CallsNoModel)
        {
            covered = score.Correct;
            var verdicts = new Dictionary<string, bool>(StringComparer.Ordinal);
            if (run.Answer is not null)
            {
                verdicts[run.Answer] = score.Correct;
            }

            foreach (var candidate in run.AllCandidates)
            {
                if (!verdicts.TryGetValue(candidate.Text, out var correct))
                {
                    var verdict = await ScoreSafelyAsync(scorer, item, candidate.Text, cancellationToken).ConfigureAwait(false);
                    scoreError ??= verdict.Failure is null ? null : $"scoring a candidate: {verdict.Failure}";
                    correct = verdict.Correct;
                    verdicts[candidate.Text] = correct;
                }

                covered |= correct;
            }

            // First drafts: what a model wrote from the question alone; a candidate passed on by a later
            // layer (critiqued, verified) keeps its id and is counted once.
            var drafts = run.AllCandidates.Where(c => c.Model is not null && c.Parents.IsEmpty).DistinctBy(c => c.Id).ToList();
            samples = drafts.Count;
            samplesCorrect = drafts.Count(c => verdicts[c.Text]);
        }

        return new ItemResult
        {
            Id = item.Id,
            Correct = score.Correct,
            Score = score.Value,
            Covered = covered,
            Samples = samples,
            SamplesCorrect = samplesCorrect,
            Answer = run.Answer,
            Extracted = score.Extracted,
            Reference = item.Reference,
            Calls = run.Usage.Calls,
            InputTokens = run.Usage.InputTokens,
            OutputTokens = run.Usage.OutputTokens,
            Cost = run.Usage.Cost,
            LatencyMs = Math.Round(run.Elapsed.TotalMilliseconds, 3),
            BudgetExhausted = run.BudgetExhausted,
            Error = run.Error,
            ScoreError = scoreError,
            Warnings = run.Warnings.IsDefaultOrEmpty ? null : run.Warnings,
            WarningCodes = run.WarningEvents.IsDefaultOrEmpty ? null : [.. run.WarningEvents.Select(w => w.Code)],
        };
    }

    /// <summary>The scorer's verdict; a scorer that throws is a failure with its message, not the end of the evaluation.</summary>
    private static async Task<Score> ScoreSafelyAsync(IScorer scorer, BenchmarkItem item, string? answer, CancellationToken cancellationToken)
    {
        try
        {
            return await scorer.ScoreAsync(item, answer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            return Score.Failed($"the {scorer.Name} scorer failed: {ex.Message}");
        }
    }
}
