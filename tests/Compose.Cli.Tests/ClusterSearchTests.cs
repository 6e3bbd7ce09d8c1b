using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Compose.Cluster;
using Compose.Language;
using Compose.Search;
using Compose.Search.Space;
using Compose.Search.Trials;
using StackExchange.Redis;

namespace Compose.Cli.Tests;

/// <summary>compose search on a cluster: the study in a real Redis, trials answered by real silo processes, the coordinator killed and resumed.</summary>
public sealed class ClusterSearchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("compose-cluster-search-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Architecture Arch(int samples) => new(["fast"], samples, false, 0, 0, 1, "none", 0.7);

    [SkippableFact]
    public async Task The_Redis_study_binds_its_settings_once_writes_trials_running_then_done_and_reads_them_back_in_order()
    {
        using var redis = await RedisServer.StartAsync();
        var cluster = ClusterConnection.Parse(redis.Connection, "t1");
        var settings = new Dictionary<string, string> { ["seed"] = "3", ["space"] = "/a/space.yaml" };
        using (var store = await RedisStudyStore.OpenAsync(cluster, "study-a"))
        {
            Assert.Equal("compose:t1:study:study-a", store.Key);
            store.Bind(settings);
            store.Bind(settings); // the same settings again: a resume
            var mismatch = Assert.Throws<DiagnosticException>(() => store.Bind(new Dictionary<string, string> { ["seed"] = "4", ["space"] = "/a/space.yaml" }));
            var d = Assert.Single(mismatch.Diagnostics);
            Assert.Equal(SearchDiagnosticCodes.StudyMismatch, d.Code);
            Assert.Contains("(seed)", d.Message, StringComparison.Ordinal);
            Assert.Contains("--fresh", d.Hint, StringComparison.Ordinal);
            Assert.Equal(store.Path, d.Location.File);

            store.Start(new TrialRecord(1, Arch(3), 4, 3));
            store.Start(new TrialRecord(0, Arch(1), 4, 3));
            store.Finish(new TrialRecord(0, Arch(1), 4, 3) { Status = TrialStatus.Done, Correct = 3, Items = 4, Calls = 4, Tokens = 40, Cost = 0.25m, PaidCalls = 2 });
            store.Start(new TrialRecord(2, Arch(5), 12, 3));
        }

        // Another connection (another coordinator) sees the same study.
        using (var store = await RedisStudyStore.OpenAsync(cluster, "study-a"))
        {
            store.Bind(settings);
            var trials = store.Trials();
            Assert.Equal([0, 1, 2], trials.Select(t => t.Number));
            Assert.Equal(TrialStatus.Done, trials[0].Status);
            Assert.Equal((3, 4, 4L, 40L, 0.25m, 2L, 1), (trials[0].Correct, trials[0].Items, trials[0].Calls, trials[0].Tokens, trials[0].Cost, trials[0].PaidCalls, trials[0].Attempts));
            Assert.Equal(Arch(1).Key, trials[0].Architecture.Key);
            Assert.Equal(TrialStatus.Running, trials[1].Status);
            Assert.Equal((Arch(5).Key, 12), (trials[2].Architecture.Key, trials[2].Fidelity));

            // An interrupted trial started again: one more attempt, then done.
            store.Start(new TrialRecord(1, Arch(3), 4, 3));
            store.Finish(new TrialRecord(1, Arch(3), 4, 3) { Status = TrialStatus.Done, Correct = 1, Items = 4, Calls = 12, PaidCalls = 12 });
            var again = store.Trials();
            Assert.Equal((TrialStatus.Done, 2, 1), (again[1].Status, again[1].Attempts, again[1].Correct));
        }

        // Other clusters and other studies in the same Redis are apart; --fresh deletes only its own.
        using (var other = await RedisStudyStore.OpenAsync(ClusterConnection.Parse(redis.Connection, "t2"), "study-a"))
        {
            Assert.Empty(other.Trials());
        }

        using (var fresh = await RedisStudyStore.OpenAsync(cluster, "study-a", fresh: true))
        {
            Assert.Empty(fresh.Trials());
            fresh.Bind(new Dictionary<string, string> { ["seed"] = "4" }); // a new study takes new settings
        }

        // A study Compose did not write is CMP861, not a crash.
        using (var mux = await ConnectionMultiplexer.ConnectAsync(redis.Connection))
        {
            await mux.GetDatabase().HashSetAsync("compose:t1:study:broken", "trial:0", "{not json");
            await mux.GetDatabase().StringSetAsync("compose:t1:study:a-string", "x");
        }

        using (var broken = await RedisStudyStore.OpenAsync(cluster, "broken"))
        {
            Assert.Equal(SearchDiagnosticCodes.StudyUnreadable, Assert.Single(Assert.Throws<DiagnosticException>(() => broken.Trials()).Diagnostics).Code);
        }

        Assert.Equal(SearchDiagnosticCodes.StudyUnreadable, Assert.Single((await Assert.ThrowsAsync<DiagnosticException>(() => RedisStudyStore.OpenAsync(cluster, "a-string"))).Diagnostics).Code);
        Assert.Equal(ClusterDiagnosticCodes.BadClusterOption, Assert.Single((await Assert.ThrowsAsync<DiagnosticException>(() => RedisStudyStore.OpenAsync(cluster, "a b"))).Diagnostics).Code);

        // The default name: one per output folder (its full path).
        Assert.Equal(RedisStudyStore.NameFor("out/x"), RedisStudyStore.NameFor(Path.GetFullPath("out/x") + "/"));
        Assert.NotEqual(RedisStudyStore.NameFor("out/x"), RedisStudyStore.NameFor("out/y"));
        Assert.Null(RedisStudyStore.CheckName(RedisStudyStore.NameFor("out/x")));
    }

    [Fact]
    public async Task Options_that_do_not_apply_with_or_without_a_cluster_are_refused_at_the_option()
    {
        string[] Args(params string[] more) => ["search", Repo.Path("examples", "search", "arith.space.yaml"), "--benchmark", Repo.Path("examples", "search", "arith-mini.jsonl"), "--out", _dir, .. more];
        var noCache = await Cli.InProcess(Args("--cluster", "127.0.0.1:1", "--no-cache"));
        Assert.Equal(2, noCache.ExitCode);
        Assert.Contains("--no-cache: error CMP964: --no-cache does not apply with --cluster", noCache.Error, StringComparison.Ordinal);
        Assert.Contains("hint:", noCache.Error, StringComparison.Ordinal);
        var study = await Cli.InProcess(Args("--study", "x"));
        Assert.Equal(2, study.ExitCode);
        Assert.Contains("--study: error CMP964", study.Error, StringComparison.Ordinal);
        var badName = await Cli.InProcess(Args("--cluster", "127.0.0.1:1", "--study", "a/b"));
        Assert.Contains("--study: error CMP964", badName.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "study.db")), "a refused search writes nothing");
    }

    [SkippableFact]
    public async Task A_search_whose_trials_spread_over_three_silos_resumes_after_the_coordinator_is_killed_and_equals_the_single_process_search()
    {
        using var redis = await RedisServer.StartAsync();
        // The example space with slower models (25 ms a call), so the coordinator is surely killed mid-study.
        File.Copy(Repo.Path("examples", "search", "arith.space.yaml"), Path.Combine(_dir, "arith.space.yaml"));
        File.WriteAllText(Path.Combine(_dir, "arith-models.yaml"), File.ReadAllText(Repo.Path("examples", "search", "arith-models.yaml")).Replace("latency_ms: 1", "latency_ms: 25", StringComparison.Ordinal));
        var silos = await Task.WhenAll(new[] { "s1", "s2", "s3" }.Select(name => SiloProcess.StartAsync(redis, name)));
        try
        {
            string[] Search(string output, params string[] extra) =>
                ["search", Path.Combine(_dir, "arith.space.yaml"), "--benchmark", Repo.Path("examples", "search", "arith-mini.jsonl"), "--trials", "7", "--limit", "8",
                 "--optimizer", "bayes", "--seed", "3", "--concurrency", "6", "--out", Path.Combine(_dir, output), .. extra];
            string[] Clustered() => Search("cluster", "--cluster", redis.Connection, "--study", "arith");

            using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Connection);
            var db = mux.GetDatabase();
            const string Key = "compose:compose:study:arith";
            Dictionary<string, string> Study() => db.HashGetAll(Key).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);
            static bool Done(string row) => row.Contains("\"Status\":\"done\"", StringComparison.Ordinal);

            // SIGKILL the coordinator once two trials are done and another is running.
            var (exited, _) = await Cli.KillWhen(Clustered(), () =>
            {
                var rows = Study().Where(f => f.Key.StartsWith("trial:", StringComparison.Ordinal)).Select(f => f.Value).ToList();
                return rows.Count(Done) >= 2 && rows.Any(r => !Done(r));
            }, TimeSpan.FromMinutes(3));
            Assert.False(exited, "the coordinator finished before it could be killed");
            var atKill = Study();
            var finished = atKill.Where(f => f.Key.StartsWith("trial:", StringComparison.Ordinal) && Done(f.Value)).ToDictionary();
            var interrupted = Assert.Single(atKill, f => f.Key.StartsWith("trial:", StringComparison.Ordinal) && !Done(f.Value)).Key;
            Assert.True(finished.Count >= 2);

            var resumed = await Cli.Process(Clustered());
            Assert.True(resumed.ExitCode == 0, resumed.All);
            Assert.Contains($"7 trials", resumed.Out, StringComparison.Ordinal);
            Assert.Contains($"{finished.Count} reused from the study, 1 interrupted trials run again", resumed.Out, StringComparison.Ordinal);
            var after = Study();
            Assert.All(finished, f => Assert.Equal(f.Value, after[f.Key])); // a finished trial is never run (or paid) again
            Assert.Equal("2", after["attempts:" + interrupted["trial:".Length..]]);
            Assert.Equal(7, after.Keys.Count(k => k.StartsWith("trial:", StringComparison.Ordinal)));
            Assert.All(after.Where(f => f.Key.StartsWith("trial:", StringComparison.Ordinal)), f => Assert.True(Done(f.Value), f.Key));

            // The items of the trials run after the resume were answered on more than one silo.
            var spread = Regex.Match(resumed.Out, "items answered per silo: (.*)").Groups[1].Value;
            Assert.True(Regex.Matches(spread, @"s\d [1-9]\d*").Count >= 2, resumed.Out);

            // The same trials, accuracy and calls per question (answers from the cache counted), and the same best, as one process finds.
            var local = await Cli.Process(Search("local"));
            Assert.True(local.ExitCode == 0, local.All);
            var (localTrials, clusterTrials) = (string.Join('\n', TrialLines(local.Error)), string.Join('\n', TrialLines(resumed.Error)));
            Assert.True(localTrials == clusterTrials, $"one process:\n{localTrials}\non the cluster:\n{clusterTrials}\n{resumed.All}\n{string.Join('\n', silos.Select(s => $"silo {s.Name}:\n{s.Log}"))}");
            Assert.Equal(BestLine(local.Out), BestLine(resumed.Out));
            Assert.True(File.Exists(Path.Combine(_dir, "cluster", "best.yaml")));
            Assert.Equal(File.ReadAllText(Path.Combine(_dir, "local", "best.yaml")), File.ReadAllText(Path.Combine(_dir, "cluster", "best.yaml")).Replace(Path.Combine(_dir, "cluster"), Path.Combine(_dir, "local"), StringComparison.Ordinal));
            Assert.False(File.Exists(Path.Combine(_dir, "cluster", "study.db")), "the study is in Redis");
            Assert.False(File.Exists(Path.Combine(_dir, "cluster", "cache.db")), "the cache is the cluster's");

            // Run once more: everything comes from the study in Redis.
            var again = await Cli.Process(Clustered());
            Assert.True(again.ExitCode == 0, again.All);
            Assert.Contains("7 reused from the study, 0 interrupted trials run again", again.Out, StringComparison.Ordinal);
            Assert.Contains("items answered per silo: none", again.Out, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var silo in silos)
            {
                silo.Dispose();
            }
        }
    }

    private static ImmutableArray<string> TrialLines(string error) => [.. error.Split('\n').Where(l => l.StartsWith("trial ", StringComparison.Ordinal)).Select(l => l.TrimEnd())];

    private static string BestLine(string output) => output.Split('\n').Single(l => l.StartsWith("best: ", StringComparison.Ordinal)).TrimEnd();
}
