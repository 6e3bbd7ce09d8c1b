using System.CommandLine;
using System.Globalization;
using Compose.Cluster;
using Compose.Evaluation.Caching;
using Compose.Evaluation.Running;
using Compose.Evaluation.Scoring;
using Compose.Language;
using Compose.Runtime;
using Compose.Search;
using Compose.Search.Optimizers;
using Compose.Search.Reporting;
using Compose.Search.Space;
using Compose.Search.Study;
using Compose.Search.Trials;
using Microsoft.Data.Sqlite;
using StackExchange.Redis;

namespace Compose.Cli.Commands;

/// <summary>
/// <c>compose search SPACE --benchmark B --trials N</c>: finds the most accurate architecture of a search
/// space within its per-question budget; every trial is kept in a SQLite study (resumable with
/// <c>--resume</c>), every model call in a SQLite response cache; writes the best pipeline and a report.
/// With <c>--cluster</c> the trials' items are answered on a cluster's silos and the study is kept in its Redis
/// (docs/cluster.md).
/// </summary>
internal static class SearchCommand
{
    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("space") { Description = "The search-space file (schemas/search-space.schema.json)." };
        var benchmark = new Option<string>("--benchmark", "-b") { Description = "The benchmark JSONL file.", Required = true };
        var trials = new Option<int>("--trials") { Description = "Trials to run (successive halving: architectures started).", DefaultValueFactory = _ => 20 };
        var optimizer = new Option<string>("--optimizer") { Description = "How trials are proposed: bayes, random, grid or halving.", DefaultValueFactory = _ => "bayes" };
        var seed = new Option<long>("--seed") { Description = "Study seed: proposals and every run derive from it.", DefaultValueFactory = _ => 0 };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N benchmark items (the full fidelity)." };
        var scorer = new Option<string>("--scorer") { Description = "How answers are scored (see compose eval).", DefaultValueFactory = _ => "math" };
        var output = new Option<string?>("--out") { Description = "Folder for the study, cache, best pipeline and report (default .compose/search/SPACE)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the study in the output folder (what running the same command again does anyway): finished trials are kept, an interrupted one is run again, a larger --trials extends it." };
        var fresh = new Option<bool>("--fresh") { Description = "Start a new study in the output folder, deleting the one there (the response cache is kept)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not use the response cache." };
        var concurrency = new Option<int>("--concurrency") { Description = "Items of a trial answered at once.", DefaultValueFactory = _ => 4 };
        var scorerTimeout = EvalCommand.ScorerTimeoutOption();
        var cluster = ClusterCommand.ConnectionOption();
        var clusterId = ClusterCommand.ClusterIdOption();
        var study = new Option<string?>("--study") { Description = "With --cluster: the study's name in the cluster's Redis (default: derived from the --out folder's full path)." };
        var command = new Command("search", "Search a space of architectures for the most accurate one within a per-question budget.")
        {
            file, benchmark, trials, optimizer, seed, limit, scorer, scorerTimeout, output, resume, fresh, noCache, concurrency, cluster, clusterId, study,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (ClusterRefusals(parse, cluster, noCache, study, concurrency) is { Count: > 0 } refused)
            {
                DiagnosticPrinter.Print(console.Error, refused);
                return ExitCodes.BadInput;
            }

            var spacePath = parse.GetValue(file)!;
            var benchmarkPath = parse.GetValue(benchmark)!;
            var (space, problems) = SearchSpaceReader.ReadFile(spacePath, CommandSupport.Files(parse));
            DiagnosticPrinter.Print(console.Error, problems);
            if (space is null)
            {
                return ExitCodes.BadInput;
            }

            if (!await CommandSupport.CheckBenchmarkAsync(benchmarkPath, parse, console).ConfigureAwait(false))
            {
                return ExitCodes.BadInput;
            }

            IOptimizer? chosen = parse.GetValue(optimizer) switch
            {
                "bayes" => new BayesianOptimizer(),
                "random" => new RandomSearch(),
                "grid" => new GridSearch(),
                "halving" => new SuccessiveHalving(),
                _ => null,
            };
            if (chosen is null)
            {
                await console.Error.WriteLineAsync($"compose: unknown optimizer '{parse.GetValue(optimizer)}': use bayes, random, grid or halving").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            var pool = ArchitecturePool.Build(space, TechniqueOptions.Catalog(parse));
            if (pool.Feasible.IsEmpty)
            {
                DiagnosticPrinter.Print(console.Error, pool.Diagnostics);
                await console.Error.WriteLineAsync($"{spacePath}: error {SearchDiagnosticCodes.SpaceEmpty}: no architecture of the space fits the budget ({pool.OverBudget} over it)\n  hint: raise the budget or narrow the axes.").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            if (EvalCommand.ScorerOptionsFrom(parse.GetValue(scorerTimeout)) is not { } scorerOptions)
            {
                await console.Error.WriteLineAsync(EvalCommand.BadScorerTimeout(parse.GetValue(scorerTimeout))).ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            var outDir = parse.GetValue(output) ?? Path.Combine(".compose", "search", space.Name);
            var studyPath = Path.Combine(outDir, "study.db");
            OutputFolderLock? folderLock = null;
            ResponseCache? cache = null;
            ComposeClusterClient? client = null;
            try
            {
                var score = ScorerFactory.Create(parse.GetValue(scorer)!, _ => throw new DiagnosticException([Diagnostic.Error(Compose.Evaluation.EvaluationDiagnosticCodes.UnknownScorer, new SourceLocation("--scorer", 0, 0), "judge scorers are not available in search", "Use a free scorer: math, exact, number, choice, regex:..., program:...")]), options: scorerOptions);
                folderLock = OutputFolderLock.Acquire(outDir);
                var fullFidelity = CommandSupport.CountItems(benchmarkPath, parse);
                fullFidelity = parse.GetValue(limit) is { } l ? Math.Min(l, fullFidelity) : fullFidelity;
                var settings = new Dictionary<string, string>
                {
                    ["space"] = Path.GetFullPath(spacePath),
                    ["benchmark"] = Path.GetFullPath(benchmarkPath),
                    ["optimizer"] = chosen.Name,
                    ["seed"] = parse.GetValue(seed).ToString(CultureInfo.InvariantCulture),
                    ["fidelity"] = fullFidelity.ToString(CultureInfo.InvariantCulture),
                    ["scorer"] = parse.GetValue(scorer)!,
                };
                IStudyStore store;
                ITrialEvaluator evaluator;
                ClusterTrialEvaluator? clustered = null;
                IReadOnlyList<SiloView> silos = [];
                if (parse.GetValue(cluster) is { } connection)
                {
                    (client, var code) = await ClusterCommand.ConnectAsync(console, connection, parse.GetValue(clusterId)!, ct).ConfigureAwait(false);
                    if (client is null)
                    {
                        return code;
                    }

                    silos = await client.SilosAsync().ConfigureAwait(false);
                    if (silos.Count == 0)
                    {
                        await console.Error.WriteLineAsync($"--cluster: error {ClusterDiagnosticCodes.ClusterUnreachable}: no silo of cluster '{client.Connection?.ClusterId}' is up\n  hint: Start silos with compose cluster silo --cluster {client.Connection?.Display} (docs/cluster.md).").ConfigureAwait(false);
                        return ExitCodes.RunFailed;
                    }

                    store = await RedisStudyStore.OpenAsync(client.Connection!, parse.GetValue(study) ?? RedisStudyStore.NameFor(outDir), parse.GetValue(fresh)).ConfigureAwait(false);
                    clustered = new ClusterTrialEvaluator(client.Dispatcher, space, TechniqueOptions.Catalog(parse), silos, benchmarkPath, fullFidelity, parse.GetValue(scorer)!, parse.GetValue(scorerTimeout))
                    {
                        Concurrency = parse.GetValue(concurrency),
                    };
                    evaluator = clustered;
                    await console.Error.WriteLineAsync($"cluster '{client.Connection!.ClusterId}': {silos.Count} silo(s): {string.Join(", ", silos.Select(s => s.Name))}; study {store.Path}").ConfigureAwait(false);
                }
                else
                {
                    if (Directory.Exists(studyPath))
                    {
                        throw StudyUnreadable(studyPath, "the study path is a folder, not a SQLite file");
                    }

                    if (parse.GetValue(fresh) && File.Exists(studyPath))
                    {
                        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                        File.Delete(studyPath);
                        foreach (var extra in new[] { "-wal", "-shm", "-journal" }.Select(x => studyPath + x).Where(File.Exists))
                        {
                            File.Delete(extra);
                        }
                    }

                    var cachePath = Path.Combine(outDir, "cache.db");
                    try
                    {
                        cache = parse.GetValue(noCache) ? null : ResponseCache.Open(cachePath);
                    }
                    catch (SqliteException ex) when (ex.SqliteErrorCode is 11 or 26)
                    {
                        throw new DiagnosticException([Diagnostic.Error(Compose.Evaluation.EvaluationDiagnosticCodes.CacheUnreadable, new SourceLocation(cachePath, 0, 0),
                            $"cannot open the response cache: {ex.Message}", "Delete the cache file (it only saves model calls), or pass --no-cache.")]);
                    }

                    store = StudyStore.Open(studyPath);
                    evaluator = new PipelineTrialEvaluator(space, TechniqueOptions.Catalog(parse), benchmarkPath, fullFidelity, score, cache) { Concurrency = parse.GetValue(concurrency) };
                }

                using var storeScope = store;
                store.Bind(settings);
                var context = new OptimizerContext(pool, fullFidelity, parse.GetValue(trials), parse.GetValue(seed));
                var result = await SearchRunner.RunAsync(chosen, context, evaluator, store, new TrialPrinter(console), ct).ConfigureAwait(false);
                if (result.Best is { } best)
                {
                    var header = $"# Found by compose search (space '{space.Name}', {chosen.Name}, seed {parse.GetValue(seed)}): accuracy {best.Accuracy:P1} on {best.Items} items, {best.CallsPerItem:F2} calls per question.\n# Self-contained: the space's models are written below. Run: compose run {Path.Combine(outDir, "best.yaml")} --input \"...\"";
                    var bestPath = Path.Combine(outDir, "best.yaml");
                    await File.WriteAllTextAsync(bestPath, ArchitectureWriter.ToStandaloneYaml(best.Architecture, space, $"{space.Name}-best", header, Path.GetDirectoryName(Path.GetFullPath(bestPath))!), ct).ConfigureAwait(false);
                }

                await File.WriteAllTextAsync(Path.Combine(outDir, "front.svg"), SearchReport.Svg(result, fullFidelity), ct).ConfigureAwait(false);
                await File.WriteAllTextAsync(Path.Combine(outDir, "report.md"), SearchReport.Markdown(space.Name, result, fullFidelity, "front.svg", "best.yaml", cache?.SavedShare ?? clustered?.SavedShare, pool.Feasible.Length, pool.OverBudget), ct).ConfigureAwait(false);
                var inv = CultureInfo.InvariantCulture;
                await console.Out.WriteLineAsync(string.Create(inv, $"{result.Trials.Length} trials, {pool.Feasible.Length} architectures within the budget ({pool.OverBudget} over it, never run); {result.Reused} reused from the study, {result.Rerun} interrupted trials run again")).ConfigureAwait(false);
                if (result.Best is { } b)
                {
                    await console.Out.WriteLineAsync(string.Create(inv, $"best: {b.Architecture.Key}  accuracy {b.Accuracy:P1} on {b.Items} items, {b.CallsPerItem:F2} calls/question")).ConfigureAwait(false);
                }

                if (cache is not null)
                {
                    await console.Out.WriteLineAsync(string.Create(inv, $"cache: {cache.Requests} calls requested, {cache.Hits} answered from the cache ({cache.SavedShare:P1} saved), {cache.Misses} paid")).ConfigureAwait(false);
                }

                if (clustered is not null)
                {
                    await console.Out.WriteLineAsync(string.Create(inv, $"cache (the cluster's): {clustered.Requested} calls requested, {clustered.Requested - clustered.Paid} answered from the cache ({clustered.SavedShare:P1} saved), {clustered.Paid} paid")).ConfigureAwait(false);
                    var spread = client!.Dispatcher.AnsweredBySilo.Select(s => (Silo: silos.FirstOrDefault(v => v.Address == s.Key)?.Name ?? s.Key, Count: s.Value))
                        .OrderBy(s => s.Silo, StringComparer.Ordinal);
                    await console.Out.WriteLineAsync($"items answered per silo: {(client.Dispatcher.AnsweredBySilo.Count == 0 ? "none (every trial was reused)" : string.Join(", ", spread.Select(s => $"{s.Silo} {s.Count}")))}{(client.Dispatcher.Moved > 0 ? $"; {client.Dispatcher.Moved} sent again after their silo was lost" : "")}").ConfigureAwait(false);
                }

                await console.Out.WriteLineAsync($"wrote {Path.Combine(outDir, "best.yaml")}, {Path.Combine(outDir, "report.md")}, {Path.Combine(outDir, "front.svg")}").ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (DiagnosticException ex)
            {
                DiagnosticPrinter.Print(console.Error, ex.Diagnostics);
                return ExitCodes.BadInput;
            }
            catch (RedisException ex)
            {
                await console.Error.WriteLineAsync($"--cluster: error {ClusterDiagnosticCodes.ClusterUnreachable}: the study in the cluster's Redis could not be read or written: {ex.Message}\n  hint: Check that the cluster's Redis is up and reachable from here; finished trials are kept there and running the same command again resumes.").ConfigureAwait(false);
                return ExitCodes.RunFailed;
            }
            catch (SqliteException ex)
            {
                await console.Error.WriteLineAsync($"{studyPath}: error {Compose.Evaluation.EvaluationDiagnosticCodes.OutputUnusable}: the study or the response cache in '{outDir}' could not be read or written: {ex.Message}\n  hint: check the --out folder (free space, permissions); finished trials are kept and --resume continues.").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await console.Error.WriteLineAsync($"{outDir}: error {Compose.Evaluation.EvaluationDiagnosticCodes.OutputUnusable}: a file could not be read or written: {ex.Message}\n  hint: check the --out folder (free space, permissions); finished trials are kept and --resume continues.").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }
            finally
            {
                if (client is not null)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }

                folderLock?.Dispose();
            }
        });
        return command;
    }

    /// <summary>Options that do not go together: CMP964 for cluster options out of place, --concurrency out of range.</summary>
    private static List<Diagnostic> ClusterRefusals(ParseResult parse, Option<string?> cluster, Option<bool> noCache, Option<string?> study, Option<int> concurrency)
    {
        var problems = new List<Diagnostic>();
        var onCluster = parse.GetValue(cluster) is not null;
        if (onCluster && parse.GetValue(noCache))
        {
            problems.Add(Diagnostic.Error(ClusterDiagnosticCodes.BadClusterOption, new SourceLocation("--no-cache", 0, 0), "--no-cache does not apply with --cluster",
                "A cluster's silos share one response cache in its Redis, which a study resumed or run elsewhere relies on; leave out --no-cache."));
        }

        if (!onCluster && parse.GetValue(study) is not null)
        {
            problems.Add(Diagnostic.Error(ClusterDiagnosticCodes.BadClusterOption, new SourceLocation("--study", 0, 0), "--study applies only with --cluster",
                "A study on this machine is the study.db of its --out folder; name the folder with --out, or add --cluster HOST:PORT."));
        }
        else if (parse.GetValue(study) is { } name && RedisStudyStore.CheckName(name) is { } bad)
        {
            problems.Add(bad);
        }

        if (parse.GetValue(concurrency) is < 1 or > 4096)
        {
            problems.Add(Diagnostic.Error(ClusterDiagnosticCodes.BadClusterOption, new SourceLocation("--concurrency", 0, 0), $"{parse.GetValue(concurrency)} is out of range", "Give 1 to 4096 items at once."));
        }

        return problems;
    }

    private static DiagnosticException StudyUnreadable(string path, string message) =>
        new([Diagnostic.Error(SearchDiagnosticCodes.StudyUnreadable, new SourceLocation(path, 0, 0), message,
            "Give --out another folder, or delete the study to start over.")]);

    private sealed class TrialPrinter(CliConsole console) : IProgress<TrialRecord>
    {
        public void Report(TrialRecord value) =>
            console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trial {value.Number,3}: {value.Architecture.Key}  {value.Accuracy:P1} on {value.Items}  {value.CallsPerItem:F2} calls/q"));
    }
}
