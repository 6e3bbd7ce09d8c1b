using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Compose.Evaluation.Caching;
using Compose.Evaluation.Running;
using Compose.Evaluation.Scoring;
using Compose.Evaluation.Statistics;
using Compose.Language;
using Compose.Runtime;
using Microsoft.Data.Sqlite;

namespace Compose.Cli.Commands;

/// <summary>
/// <c>compose eval PIPELINE... --benchmark B</c>: accuracy with a 95% confidence interval, coverage, calls,
/// tokens and latency percentiles per pipeline; per-item results as JSONL (resumed when run again);
/// <c>--compare</c> tests two pipelines against each other on the same items.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(CliConsole console)
    {
        var files = new Argument<string[]>("pipelines") { Description = "The pipeline file(s) to evaluate.", Arity = ArgumentArity.OneOrMore };
        var benchmark = new Option<string>("--benchmark", "-b") { Description = "The benchmark JSONL file (schemas/benchmark.schema.json).", Required = true };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only the first N items." };
        var seed = new Option<long>("--seed") { Description = "Run seed.", DefaultValueFactory = _ => 0 };
        var scorer = new Option<string>("--scorer") { Description = "How answers are scored: math, exact, exact-ci, number, choice, regex:PATTERN, program:COMMAND or judge:PIPELINE.", DefaultValueFactory = _ => "math" };
        var baseline = new Option<string?>("--baseline") { Description = "With --scorer judge:J, a baseline pipeline: the judge compares each answer with the baseline's (pairwise)." };
        var output = new Option<string>("--out") { Description = "Folder of the per-item results files; an evaluation run again resumes from its file.", DefaultValueFactory = _ => Path.Combine(".compose", "eval") };
        var fresh = new Option<bool>("--fresh") { Description = "Ignore earlier results and evaluate every item again." };
        var cache = new Option<string?>("--cache") { Description = "A SQLite response cache file: identical model calls are answered from it for free." };
        var concurrency = new Option<int>("--concurrency") { Description = "Items answered at once.", DefaultValueFactory = _ => 4 };
        var compare = new Option<bool>("--compare") { Description = "With two pipelines: a paired significance test (exact McNemar) of their accuracy." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var plot = new Option<string?>("--plot")
        {
            Description = "Also write an SVG plot of accuracy (95% interval) against generated tokens per question, one line per method: " +
                "pipelines whose names differ only in a trailing -N (vote-4, vote-8) are one method.",
        };
        var scorerTimeout = ScorerTimeoutOption();
        var models = CommandSupport.ModelsOption();
        var cluster = ClusterCommand.ConnectionOption();
        var clusterId = ClusterCommand.ClusterIdOption();
        var command = new Command("eval", "Evaluate pipelines on a benchmark: accuracy with a 95% CI, coverage, cost and latency.")
        {
            files, benchmark, limit, seed, scorer, scorerTimeout, baseline, output, fresh, cache, concurrency, compare, json, plot, models, cluster, clusterId,
        };
        command.SetAction(async (parse, ct) =>
        {
            var paths = parse.GetValue(files)!;
            var benchmarkPath = parse.GetValue(benchmark)!;
            if (parse.GetValue(compare) && paths.Length != 2)
            {
                await console.Error.WriteLineAsync("compose: --compare needs exactly two pipelines").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            if (!await CommandSupport.CheckBenchmarkAsync(benchmarkPath, parse, console).ConfigureAwait(false))
            {
                return ExitCodes.BadInput;
            }

            if (ScorerOptionsFrom(parse.GetValue(scorerTimeout)) is not { } scorerOptions)
            {
                await console.Error.WriteLineAsync(BadScorerTimeout(parse.GetValue(scorerTimeout))).ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            var modelsFile = parse.GetValue(models);
            var (bindings, bindingProblems) = CommandSupport.ReadModels(modelsFile, parse);
            DiagnosticPrinter.Print(console.Error, bindingProblems);
            if (bindingProblems.Any(d => d.IsError))
            {
                return ExitCodes.BadInput;
            }

            if (parse.GetValue(cluster) is not null && parse.GetValue(cache) is not null)
            {
                await console.Error.WriteLineAsync($"--cache: error {Compose.Cluster.ClusterDiagnosticCodes.BadClusterOption}: --cache does not apply with --cluster\n  hint: A cluster's silos share one response cache in its Redis; leave out --cache.").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            ResponseCache? responseCache;
            try
            {
                responseCache = parse.GetValue(cache) is { } cachePath ? ResponseCache.Open(cachePath) : null;
            }
            catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
            {
                await console.Error.WriteLineAsync($"{parse.GetValue(cache)}: error {Compose.Evaluation.EvaluationDiagnosticCodes.CacheUnreadable}: cannot open the response cache: {ex.Message}\n  hint: give --cache a writable path for a new file, or a cache file compose wrote.").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            var buildOptions = responseCache?.Apply() ?? PipelineBuildOptions.Default;
            var loaded = new List<RunnablePipeline>();
            OutputFolderLock? folderLock = null;
            try
            {
                RunnablePipeline Load(string path)
                {
                    var (pipeline, diagnostics) = PipelineFactory.Build(path, TechniqueOptions.Catalog(parse), buildOptions, CommandSupport.Context(path, console, parse), bindings);
                    DiagnosticPrinter.Print(console.Error, diagnostics);
                    if (pipeline is null)
                    {
                        throw new DiagnosticException([]);
                    }

                    loaded.Add(pipeline);
                    return pipeline;
                }

                var resultsFiles = new Dictionary<int, (string ResultsPath, string Fingerprint)>();
                (string ResultsPath, string Fingerprint) Results(int i)
                {
                    if (resultsFiles.TryGetValue(i, out var known))
                    {
                        return known;
                    }

                    var fingerprint = Fingerprint(paths[i], modelsFile, benchmarkPath, parse.GetValue(scorer)!, parse.GetValue(baseline), parse.GetValue(seed));
                    var resultsPath = Path.Combine(parse.GetValue(output)!, $"{Path.GetFileNameWithoutExtension(paths[i])}.{Path.GetFileNameWithoutExtension(benchmarkPath)}.{fingerprint[..10]}.jsonl");
                    if (parse.GetValue(fresh) && File.Exists(resultsPath))
                    {
                        try
                        {
                            File.Delete(resultsPath);
                        }
                        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                        {
                            throw new DiagnosticException([Diagnostic.Error(Compose.Evaluation.EvaluationDiagnosticCodes.OutputUnusable, new SourceLocation(resultsPath, 0, 0), $"--fresh cannot delete the earlier results file: {ex.Message}", "Check the --out folder's permissions.")]);
                        }
                    }

                    return resultsFiles[i] = (resultsPath, fingerprint);
                }

                var total = parse.GetValue(limit) is { } n ? Math.Min(n, CommandSupport.CountItems(benchmarkPath, parse)) : CommandSupport.CountItems(benchmarkPath, parse);
                var reports = new List<EvalReport>();
                if (parse.GetValue(cluster) is { } connection)
                {
                    var (client, code) = await ClusterCommand.ConnectAsync(console, connection, parse.GetValue(clusterId)!, ct).ConfigureAwait(false);
                    if (client is null)
                    {
                        return code;
                    }

                    await using (client.ConfigureAwait(false))
                    {
                        folderLock = OutputFolderLock.Acquire(parse.GetValue(output)!);
                        var clustered = await ClusterCommand.EvaluateAsync(console, client, parse, paths, modelsFile, benchmarkPath, parse.GetValue(scorer)!, parse.GetValue(baseline),
                            parse.GetValue(scorerTimeout), parse.GetValue(seed), Results, parse.GetValue(limit), parse.GetValue(concurrency), total, ct).ConfigureAwait(false);
                        if (clustered is null)
                        {
                            return ExitCodes.BadInput;
                        }

                        reports.AddRange(clustered);
                    }
                }
                else
                {
                    var pipelines = paths.Select(Load).ToList();
                    var score = ScorerFactory.Create(parse.GetValue(scorer)!, Load, parse.GetValue(baseline), parse.GetValue(seed), scorerOptions);
                    folderLock = OutputFolderLock.Acquire(parse.GetValue(output)!);
                    for (var i = 0; i < pipelines.Count; i++)
                    {
                        var (resultsPath, fingerprint) = Results(i);
                        var progress = new ProgressLine(console, Path.GetFileNameWithoutExtension(paths[i]));
                        var report = await Evaluator.RunAsync(pipelines[i], benchmarkPath, score, new EvalOptions
                        {
                            Seed = parse.GetValue(seed),
                            Limit = parse.GetValue(limit),
                            Concurrency = parse.GetValue(concurrency),
                            ResultsPath = resultsPath,
                            Fingerprint = fingerprint,
                            Files = CommandSupport.Files(parse),
                            Progress = progress.For(total),
                        }, ct).ConfigureAwait(false);
                        progress.Finish();
                        reports.Add(report with { Name = Path.GetFileNameWithoutExtension(paths[i]) });
                    }
                }

                for (var i = 0; i < reports.Count; i++)
                {
                    var report = reports[i];
                    var resultsPath = Results(i).ResultsPath;
                    await console.Error.WriteLineAsync($"{paths[i]}: results in {resultsPath}{(report.Resumed > 0 ? $" ({report.Resumed} items resumed)" : "")}").ConfigureAwait(false);
                    if (report.Items.FirstOrDefault(r => r.ScoreError is not null) is { } unscored)
                    {
                        await console.Error.WriteLineAsync($"{paths[i]}: {report.ScoreErrors} of {report.Items.Length} items could not be scored and count as wrong (score_error in the results file); item {unscored.Id}: {unscored.ScoreError}").ConfigureAwait(false);
                    }

                    foreach (var line in WarningSummary(paths[i], report))
                    {
                        await console.Error.WriteLineAsync(line).ConfigureAwait(false);
                    }

                    if (report.Items.FirstOrDefault(r => r.Error is not null) is { } failed)
                    {
                        await console.Error.WriteLineAsync($"{paths[i]}: {report.Errors} of {report.Items.Length} items failed (error in the results file); item {failed.Id}: {failed.Error}").ConfigureAwait(false);
                    }
                }

                var test = parse.GetValue(compare) ? Compare(reports[0], reports[1]) : null;
                if (parse.GetValue(plot) is { } plotPath)
                {
                    await File.WriteAllTextAsync(plotPath, ScalingPlot.Svg(reports, $"{Path.GetFileNameWithoutExtension(benchmarkPath)}: accuracy against generated tokens"), ct).ConfigureAwait(false);
                    await console.Error.WriteLineAsync($"wrote {plotPath}").ConfigureAwait(false);
                }

                if (parse.GetValue(json))
                {
                    await console.Out.WriteLineAsync(JsonSerializer.Serialize(new { results = reports.Select(ToJson), compare = test, cache = CacheJson(responseCache) }, CliJson.Options)).ConfigureAwait(false);
                }
                else
                {
                    await console.Out.WriteAsync(Table(reports)).ConfigureAwait(false);
                    if (test is not null)
                    {
                        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                            $"\npaired test (exact McNemar) on {test.Both + test.Neither + test.OnlyA + test.OnlyB} items: only {reports[0].Name} right {test.OnlyA}, only {reports[1].Name} right {test.OnlyB}, p = {test.PValue:G4}{(test.PValue < 0.05 ? " (significant at 5%)" : " (not significant at 5%)")}")).ConfigureAwait(false);
                    }

                    if (responseCache is not null)
                    {
                        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                            $"cache: {responseCache.Requests} calls requested, {responseCache.Hits} answered from the cache ({responseCache.SavedShare:P1} saved), {responseCache.Misses} paid")).ConfigureAwait(false);
                    }
                }

                return reports.All(r => r.Items.IsEmpty || r.Items.Any(i => i.Error is null && i.ScoreError is null)) ? ExitCodes.Success : ExitCodes.RunFailed;
            }
            catch (DiagnosticException ex)
            {
                DiagnosticPrinter.Print(console.Error, ex.Diagnostics);
                return ExitCodes.BadInput;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await console.Error.WriteLineAsync($"compose: error: a file could not be read or written: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }
            finally
            {
                folderLock?.Dispose();
                foreach (var p in loaded)
                {
                    p.Dispose();
                }
            }
        });
        return command;
    }

    /// <summary><c>--scorer-timeout SECONDS</c>, shared with <c>compose search</c>.</summary>
    internal static Option<double> ScorerTimeoutOption() => new("--scorer-timeout")
    {
        Description = "Seconds a program: scorer may run per answer before its process tree is killed and the answer counts as wrong (at most 3600).",
        DefaultValueFactory = _ => ScorerOptions.DefaultProgramTimeout.TotalSeconds,
    };

    /// <summary>The scorer limits for <c>--scorer-timeout</c>, or null when it is out of range.</summary>
    internal static ScorerOptions? ScorerOptionsFrom(double seconds) =>
        double.IsFinite(seconds) && seconds > 0 && seconds <= ScorerOptions.MaxProgramTimeout.TotalSeconds
            ? ScorerOptions.Default with { ProgramTimeout = TimeSpan.FromSeconds(seconds) }
            : null;

    internal static string BadScorerTimeout(double seconds) => string.Create(CultureInfo.InvariantCulture,
        $"--scorer-timeout: error {Compose.Evaluation.EvaluationDiagnosticCodes.BadScorerLimit}: {seconds} is not a usable time limit\n  hint: give seconds, more than 0 and at most {ScorerOptions.MaxProgramTimeout.TotalSeconds}.");

    /// <summary>The paired test of two reports on the items both evaluated.</summary>
    internal static McNemarTest Compare(EvalReport a, EvalReport b)
    {
        var byId = b.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);
        return McNemarTest.Of(a.Items.Where(i => byId.ContainsKey(i.Id)).Select(i => (i.Correct, byId[i.Id].Correct)));
    }

    internal static string Table(IReadOnlyList<EvalReport> reports)
    {
        var text = new StringBuilder();
        var width = Math.Max(8, reports.Max(r => r.Name.Length));
        text.Append(CultureInfo.InvariantCulture, $"| {"pipeline".PadRight(width)} | items | accuracy | 95% CI           | coverage | calls/q | tokens/q | gen/q  | p50 ms | p90 ms | p99 ms | errors |\n");
        text.Append(CultureInfo.InvariantCulture, $"|{new string('-', width + 2)}|------:|---------:|------------------|---------:|--------:|---------:|-------:|-------:|-------:|-------:|-------:|\n");
        foreach (var r in reports)
        {
            var n = Math.Max(1, r.Items.Length);
            var acc = r.Accuracy;
            var coverage = r.Coverage is { } c ? c.Value.ToString("P1", CultureInfo.InvariantCulture) : "-";
            var latency = r.LatencyMs;
            text.Append(CultureInfo.InvariantCulture,
                $"| {r.Name.PadRight(width)} | {r.Items.Length,5} | {acc.Value,8:P1} | [{acc.Low,6:P1}, {acc.High,6:P1}] | {coverage,8} | {(double)r.Calls / n,7:F2} | {(double)r.Tokens / n,8:F0} | {(double)r.OutputTokens / n,6:F1} | {latency.P50,6:F1} | {latency.P90,6:F1} | {latency.P99,6:F1} | {r.Errors,6} |\n");
        }

        foreach (var (r, curve) in reports.Select(r => (r, r.PassAtK)).Where(x => x.PassAtK.Length > 1))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{r.Name}: coverage at k first-draft samples (pass@k, unbiased estimator; {curve[^1].K} samples per item):\n");
            text.Append("| k      |").AppendJoin("", curve.Select(c => $" {c.K,6} |")).Append('\n');
            text.Append("|--------|").AppendJoin("", curve.Select(_ => "-------:|")).Append('\n');
            text.Append("| pass@k |").AppendJoin("", curve.Select(c => string.Create(CultureInfo.InvariantCulture, $" {c.Value,6:P1} |"))).Append('\n');
        }

        return text.ToString();
    }

    private static object ToJson(EvalReport r) => new
    {
        pipeline = r.Name,
        items = r.Items.Length,
        resumed = r.Resumed,
        accuracy = r.Accuracy.Value,
        ci95 = new[] { r.Accuracy.Low, r.Accuracy.High },
        coverage = r.Coverage?.Value,
        pass_at_k = r.PassAtK.Select(c => new { k = c.K, value = c.Value }),
        mean_score = r.MeanScore,
        calls = r.Calls,
        tokens = r.Tokens,
        output_tokens = r.OutputTokens,
        cost = r.Cost,
        errors = r.Errors,
        score_errors = r.ScoreErrors,
        latency_ms = new { p50 = r.LatencyMs.P50, p90 = r.LatencyMs.P90, p99 = r.LatencyMs.P99, max = r.LatencyMs.Max },
    };

    private static object? CacheJson(ResponseCache? cache) =>
        cache is null ? null : new { requests = cache.Requests, hits = cache.Hits, misses = cache.Misses, saved_share = cache.SavedShare };

    private static string Fingerprint(string pipeline, string? modelsFile, string benchmark, string scorer, string? baseline, long seed)
    {
        var text = new StringBuilder();
        text.Append(File.ReadAllText(pipeline)).Append('\0');
        text.Append(modelsFile is null ? "" : File.ReadAllText(modelsFile)).Append('\0');
        text.Append(Path.GetFullPath(benchmark)).Append('\0').Append(scorer).Append('\0').Append(baseline).Append('\0').Append(seed);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// One line per kind of warning the items reported: per code (<c>warning CMP706: 3 of 50 items ...</c>), and one for
    /// techniques' own warnings, which have none; each with how many items and the first item's message.
    /// </summary>
    internal static IEnumerable<string> WarningSummary(string path, EvalReport report)
    {
        var warned = report.Items
            .Where(r => r.Warnings is { IsDefaultOrEmpty: false })
            .SelectMany(r => r.Warnings!.Value.Select((message, k) => (Item: r, Code: r.WarningCode(k), Message: message)));
        foreach (var kind in warned.GroupBy(w => w.Code).OrderBy(g => g.Key is null).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var items = kind.Select(w => w.Item.Id).Distinct(StringComparer.Ordinal).Count();
            var first = kind.First();
            yield return kind.Key is { } code
                ? $"{path}: warning {code}: {items} of {report.Items.Length} items reported it (warnings in the results file); item {first.Item.Id}: {first.Message}"
                : $"{path}: {items} of {report.Items.Length} items reported a warning of a technique (warnings in the results file); item {first.Item.Id}: {first.Message}";
        }
    }
}
