using Microsoft.Data.Sqlite;

namespace Compose.Cli.Tests;

/// <summary>compose eval and compose search as users run them, including a search killed with SIGKILL and resumed.</summary>
public sealed class EvalSearchCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("compose-cli-search-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Space => Repo.Path("examples", "search", "arith.space.yaml");

    private static string Bench => Repo.Path("examples", "search", "arith-mini.jsonl");

    [Fact]
    public async Task Eval_prints_accuracy_with_a_confidence_interval_and_resumes()
    {
        var args = new[] { "eval", Repo.Path("pipelines", "self-consistency.yaml"), Repo.Path("pipelines", "single-call.yaml"), "--models", Repo.ScriptedModels, "--benchmark", Bench, "--out", _dir, "--compare", "--cache", Path.Combine(_dir, "c.db") };
        var first = await Cli.InProcess(args);
        Assert.True(first.ExitCode == 0, first.All);
        Assert.Contains("| self-consistency |    12 |", first.Out, StringComparison.Ordinal);
        Assert.Contains("paired test (exact McNemar) on 12 items", first.Out, StringComparison.Ordinal);
        Assert.Contains("self-consistency: coverage at k first-draft samples", first.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("single-call: coverage", first.Out, StringComparison.Ordinal);
        var again = await Cli.InProcess(args);
        Assert.Contains("(12 items resumed)", again.Error, StringComparison.Ordinal);
        Assert.Contains("cache: 0 calls requested", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plot_draws_one_line_per_method_at_the_generated_tokens_the_table_reports()
    {
        // vote-1 and vote-8 are one method (names differ only in a trailing -N); single is another.
        File.Copy(Repo.Path("pipelines", "single-call.yaml"), Path.Combine(_dir, "vote-1.yaml"));
        File.Copy(Repo.Path("pipelines", "self-consistency.yaml"), Path.Combine(_dir, "vote-8.yaml"));
        File.Copy(Repo.Path("pipelines", "single-call.yaml"), Path.Combine(_dir, "single.yaml"));
        var svgPath = Path.Combine(_dir, "scaling.svg");
        string[] args = ["eval", Path.Combine(_dir, "vote-8.yaml"), Path.Combine(_dir, "vote-1.yaml"), Path.Combine(_dir, "single.yaml"), "--models", Repo.ScriptedModels,
            "--benchmark", Bench, "--out", Path.Combine(_dir, "results"), "--plot", svgPath];
        var table = await Cli.InProcess(args);
        Assert.True(table.ExitCode == 0, table.All);
        Assert.Contains("| gen/q  |", table.Out, StringComparison.Ordinal);
        var json = await Cli.InProcess([.. args, "--json"]);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Out);
        var generated = doc.RootElement.GetProperty("results").EnumerateArray()
            .ToDictionary(r => r.GetProperty("pipeline").GetString()!, r => r.GetProperty("output_tokens").GetInt64() / (double)r.GetProperty("items").GetInt32());
        Assert.True(generated["vote-8"] > 4 * generated["vote-1"], string.Join(", ", generated)); // eight samples generate about eight times one sample's tokens

        var svg = System.Xml.Linq.XDocument.Load(svgPath);
        System.Xml.Linq.XNamespace ns = "http://www.w3.org/2000/svg";
        var lines = svg.Descendants(ns + "g").ToDictionary(g => g.Element(ns + "title")!.Value, g => g.Element(ns + "polyline")!.Attribute("points")!.Value.Split(' '));
        Assert.Equal(["vote", "single"], lines.Keys);
        Assert.Equal(2, lines["vote"].Length);
        Assert.Single(lines["single"]);
        var xs = lines["vote"].Select(p => double.Parse(p.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(xs[0] < xs[1], "points are joined in order of generated tokens: vote-1 first");
    }

    [Fact]
    public async Task A_smaller_limit_after_a_larger_one_reports_only_the_first_items()
    {
        string[] Args(string limit) => ["eval", Repo.Path("pipelines", "self-consistency.yaml"), Repo.Path("pipelines", "single-call.yaml"), "--models", Repo.ScriptedModels, "--benchmark", Bench, "--out", _dir, "--compare", "--limit", limit];
        var all = await Cli.InProcess(Args("10"));
        Assert.True(all.ExitCode == 0, all.All);
        Assert.Contains("| self-consistency |    10 |", all.Out, StringComparison.Ordinal);

        var fewer = await Cli.InProcess(Args("4"));
        Assert.True(fewer.ExitCode == 0, fewer.All);
        Assert.Contains("| self-consistency |     4 |", fewer.Out, StringComparison.Ordinal);
        Assert.Contains("| single-call      |     4 |", fewer.Out, StringComparison.Ordinal);
        Assert.Contains("paired test (exact McNemar) on 4 items", fewer.Out, StringComparison.Ordinal);
        Assert.Contains("(4 items resumed)", fewer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Running_a_search_again_resumes_or_extends_it_and_best_yaml_runs_on_its_own()
    {
        var outDir = Path.Combine(_dir, "again");
        string[] Args(string trials, params string[] more) => ["search", Space, "--benchmark", Bench, "--trials", trials, "--limit", "4", "--optimizer", "random", "--out", outDir, .. more];

        var first = await Cli.Process(Args("3"));
        Assert.True(first.ExitCode == 0, first.All);
        var same = await Cli.Process(Args("3"));
        Assert.True(same.ExitCode == 0, same.All);
        Assert.Contains("3 reused from the study", same.Out, StringComparison.Ordinal);
        var more = await Cli.Process(Args("5"));
        Assert.True(more.ExitCode == 0, more.All);
        Assert.Contains("5 trials", more.Out, StringComparison.Ordinal);
        Assert.Contains("3 reused from the study", more.Out, StringComparison.Ordinal);

        var other = await Cli.Process(Args("5", "--seed", "9"));
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("CMP860", other.Error, StringComparison.Ordinal);
        Assert.Contains("(seed)", other.Error, StringComparison.Ordinal);
        foreach (var option in System.Text.RegularExpressions.Regex.Matches(other.Error, @"--[a-z-]+").Select(m => m.Value))
        {
            Assert.Contains(option, (await Cli.Process(["search", "--help"])).Out, StringComparison.Ordinal); // every option a hint names exists
        }

        var fresh = await Cli.Process(Args("2", "--seed", "9", "--fresh"));
        Assert.True(fresh.ExitCode == 0, fresh.All);
        Assert.Contains("0 reused from the study", fresh.Out, StringComparison.Ordinal);

        var best = Path.Combine(outDir, "best.yaml");
        var validate = await Cli.Process(["validate", best], workingDirectory: Path.GetTempPath());
        Assert.True(validate.ExitCode == 0, validate.All);
        Assert.DoesNotContain("warning", validate.All, StringComparison.Ordinal);
        var schema = File.ReadLines(best).First();
        Assert.StartsWith("# yaml-language-server: $schema=", schema, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.GetFullPath(schema.Split('=')[1], outDir)), schema);
        var run = await Cli.Process(["run", best, "--input", "What is 6*7?"], workingDirectory: Path.GetTempPath());
        Assert.True(run.ExitCode == 0, run.All);
    }

    [Fact]
    public async Task Search_killed_at_random_moments_resumes_to_the_same_trials_with_none_paid_twice()
    {
        string[] Args(string outDir, bool resume) =>
            ["search", Space, "--benchmark", Bench, "--trials", "6", "--limit", "4", "--optimizer", "bayes", "--seed", "3", "--out", outDir, .. resume ? new[] { "--resume" } : []];

        var reference = Path.Combine(_dir, "reference");
        var done = await Cli.Process(Args(reference, false));
        Assert.True(done.ExitCode == 0, done.All);

        var crashed = Path.Combine(_dir, "crashed");
        var random = new Random(12345);
        var kills = 0;
        var midTrialKills = 0;
        var finishedAtAKill = new Dictionary<long, string>(); // trial number -> its whole row when a kill found it done
        var runningAtAKill = new Dictionary<long, long>(); // trial number -> its attempts when a kill last found it running
        for (var attempt = 0; attempt < 40 && kills < 10; attempt++)
        {
            // Most kills land at a random moment; every third waits until the study shows a trial running, so
            // some kills surely land mid-trial (the study read after the kill says whether one did).
            var (exited, _) = attempt % 3 == 2
                ? await Cli.KillWhen(Args(crashed, true), () => SomeTrialRunning(crashed), TimeSpan.FromSeconds(10))
                : await Cli.KillAfter(Args(crashed, true), TimeSpan.FromMilliseconds(random.Next(300, 2500)));
            if (!exited)
            {
                kills++;
                var rows = Rows(crashed);
                foreach (var (number, status, attempts, row) in rows)
                {
                    if (status == "done")
                    {
                        finishedAtAKill[number] = row;
                    }
                    else
                    {
                        Assert.Equal("running", status);
                        runningAtAKill[number] = attempts;
                    }
                }

                if (rows.Any(r => r.Status == "running"))
                {
                    midTrialKills++;
                }
            }
            else
            {
                Directory.Delete(crashed, recursive: true);
                (finishedAtAKill, runningAtAKill, midTrialKills) = ([], [], 0);
            }
        }

        Assert.True(kills >= 10, $"only {kills} runs were killed before finishing");
        Assert.True(midTrialKills >= 1, $"none of the {kills} kills landed while a trial was running");
        var final = await Cli.Process(Args(crashed, true));
        Assert.True(final.ExitCode == 0, final.All);
        Assert.Equal(Trials(reference), Trials(crashed));
        Assert.Equal(CacheKeys(reference), CacheKeys(crashed));
        Assert.All(Attempts(reference), a => Assert.Equal(1, a));

        var finalRows = Rows(crashed).ToDictionary(r => r.Number);
        // A trial already finished at a kill was never run (or paid for) again: its row, attempts, paid calls and
        // end time included, is unchanged.
        Assert.All(finishedAtAKill, r => Assert.Equal(r.Value, finalRows[r.Key].Row));
        // A trial a kill interrupted was started once more (and only once) after that kill, and then finished.
        Assert.All(runningAtAKill, r => Assert.Equal(r.Value + 1, finalRows[r.Key].Attempts));
        Assert.Contains(finalRows.Values, r => r.Attempts > 1);
        // Every start beyond a trial's first is a restart of an interrupted trial.
        Assert.All(finalRows.Values, r => Assert.True(r.Attempts == 1 || runningAtAKill.ContainsKey(r.Number), $"trial {r.Number} started {r.Attempts} times"));
        Assert.True(Paid(crashed) <= Paid(reference), $"paid {Paid(crashed)} calls after crashes, {Paid(reference)} without");
    }

    private static bool SomeTrialRunning(string dir)
    {
        try
        {
            return Rows(dir).Any(r => r.Status == "running");
        }
        catch (SqliteException)
        {
            return false; // busy or still being made: look again
        }
    }

    private static List<(long Number, string Status, long Attempts, string Row)> Rows(string dir)
    {
        if (!File.Exists(Path.Combine(dir, "study.db")))
        {
            return [];
        }

        try
        {
            return Query(dir, "SELECT number, status, attempts, number || ' ' || status || ' ' || attempts || ' ' || started || ' ' || ifnull(ended, '') || ' ' || ifnull(correct, '') || ' ' || ifnull(paid_calls, '') FROM trials ORDER BY number",
                r => (r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3)));
        }
        catch (SqliteException ex) when (ex.Message.Contains("no such table", StringComparison.Ordinal))
        {
            return []; // killed before the study's tables were made
        }
    }

    private static List<string> Trials(string dir) => Query(dir, "SELECT number || ' ' || arch_key || ' ' || fidelity || ' ' || status || ' ' || correct || ' ' || calls FROM trials ORDER BY number", r => r.GetString(0));

    private static List<int> Attempts(string dir) => Query(dir, "SELECT attempts FROM trials", r => r.GetInt32(0));

    private static long Paid(string dir) => Query(dir, "SELECT SUM(paid_calls) FROM trials", r => r.GetInt64(0))[0];

    private static List<string> CacheKeys(string dir)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(dir, "cache.db")};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT key FROM cache ORDER BY key";
        using var r = cmd.ExecuteReader();
        var keys = new List<string>();
        while (r.Read())
        {
            keys.Add(r.GetString(0));
        }

        return keys;
    }

    private static List<T> Query<T>(string dir, string sql, Func<SqliteDataReader, T> read)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(dir, "study.db")};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(read(r));
        }

        return list;
    }
}
