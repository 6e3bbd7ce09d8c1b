using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Compose.Cli.Tests;

/// <summary>
/// A hostile corpus for the compose eval / compose search boundary, each case driving the real CLI as a child
/// process: program scorers that are missing, not executable, crash, flood their output, sleep past the time
/// limit or read huge, NUL-bearing and unicode items; catastrophic regular expressions; unusable, read-only and
/// full --out folders; two runs on one folder; runs killed with SIGKILL; torn and corrupt results, studies and
/// caches. Every case checks the exit code, the diagnostic or message, a time bound and that no stack trace or
/// "internal error" is shown.
/// </summary>
public sealed class HostileEvalTests : IDisposable
{
    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "Compose.Cli.dll");

    private readonly Ctx _ctx = new(Directory.CreateTempSubdirectory("compose-hostile-").FullName);

    public static TheoryData<string> Names => [.. Corpus.Keys];

    public void Dispose() => _ctx.Dispose();

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public async Task Hostile_input_gets_a_clear_exit_code_and_message(string name)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the corpus uses POSIX shell scripts, /proc and tmpfs");
        var c = Corpus[name];
        var clock = Stopwatch.StartNew();
        var result = await c.Run(_ctx);
        clock.Stop();
        Assert.True(result.ExitCode == c.Exit, $"{name}: exit {result.ExitCode}, expected {c.Exit}\n{result.All}");
        foreach (var text in c.Expect)
        {
            Assert.True(result.All.Contains(text, StringComparison.Ordinal), $"{name}: expected '{text}' in\n{result.All}");
        }

        Assert.False(result.ShowsStackTrace, $"{name}: shows a stack trace or internal error\n{result.All}");
        Assert.True(clock.Elapsed < (c.Bound ?? TimeSpan.FromSeconds(120)), $"{name}: took {clock.Elapsed}");
        c.Check?.Invoke(_ctx, result);
    }

    [Fact]
    public void The_corpus_has_at_least_thirty_cases() => Assert.True(Corpus.Count >= 30, $"{Corpus.Count} cases");

    private sealed record Case(Func<Ctx, Task<CliResult>> Run, int Exit, string[] Expect, TimeSpan? Bound = null, Action<Ctx, CliResult>? Check = null);

    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, Case> Corpus = new(StringComparer.Ordinal)
    {
        // program: scorers, checked before the run
        ["program missing (a path)"] = new(c => c.Eval("--scorer", $"program:{c.P("absent.sh")}"), 2, ["CMP821", "does not exist"], Quick),
        ["program missing (not on PATH)"] = new(c => c.Eval("--scorer", "program:compose-no-such-scorer-program"), 2, ["CMP821", "not on PATH"], Quick),
        ["program not executable"] = new(c => c.Eval("--scorer", $"program:{c.Script("plain.sh", "exit 0", executable: false)}"), 2, ["CMP822", "not executable"], Quick),
        ["program is a folder"] = new(c => c.Eval("--scorer", $"program:{c.Dir}"), 2, ["CMP822", "is a folder"], Quick),
        ["program with no command"] = new(c => c.Eval("--scorer", "program:"), 2, ["CMP804"], Quick),
        ["scorer timeout zero"] = new(c => c.Eval("--scorer", "math", "--scorer-timeout", "0"), 2, ["CMP826"], Quick),
        ["scorer timeout negative"] = new(c => c.Eval("--scorer", "math", "--scorer-timeout", "-3"), 2, ["CMP826"], Quick),
        ["scorer timeout absurd"] = new(c => c.Eval("--scorer", "math", "--scorer-timeout", "1e9"), 2, ["CMP826"], Quick),
        ["scorer timeout not a number"] = new(c => c.Eval("--scorer", "math", "--scorer-timeout", "soon"), 2, ["--scorer-timeout"], Quick),
        ["search: program missing"] = new(c => c.Search(c.P("s"), "--scorer", $"program:{c.P("absent.sh")}"), 2, ["CMP821"], Quick),

        // program: scorers failing at run time: each item's result, the evaluation goes on
        ["program crashes"] = new(c => c.Eval("--scorer", $"program:{c.Script("crash.sh", "kill -SEGV $$")}"), 1,
            ["2 of 2 items could not be scored", "exited with code"], Quick, (c, _) => c.AllScoreErrors("exited with code")),
        ["program exits 3"] = new(c => c.Eval("--scorer", $"program:{c.Script("three.sh", "echo broken >&2; exit 3")}"), 1,
            ["exited with code 3", "broken"], Quick, (c, _) => c.AllScoreErrors("exited with code 3")),
        ["program exits 1 (wrong, not a failure)"] = new(c => c.Eval("--scorer", $"program:{c.Script("one.sh", "exit 1")}"), 0,
            ["|    0.0 % |"], Quick, (c, _) => Assert.DoesNotContain("score_error", c.ResultsText(), StringComparison.Ordinal)),
        ["program exits 0 (right)"] = new(c => c.Eval("--scorer", $"program:{c.Script("zero.sh", "exit 0")}"), 0, ["|  100.0 % |"], Quick),
        ["program floods stdout with 300 MB"] = new(c => c.Eval("--scorer", $"program:{c.Script("flood.sh", "head -c 300000000 /dev/zero | tr '\\0' x")}"), 1,
            ["more than 1 MiB"], TimeSpan.FromSeconds(90), (c, _) => c.AllScoreErrors("more than 1 MiB")),
        ["program floods stderr with 300 MB"] = new(c => c.Eval("--scorer", $"program:{c.Script("flood2.sh", "head -c 300000000 /dev/zero >&2")}"), 1,
            ["more than 1 MiB"], TimeSpan.FromSeconds(90)),
        ["program sleeps past the timeout"] = new(c => c.Eval("--scorer", $"program:{c.Script("sleep.sh", "sleep 120")}", "--scorer-timeout", "1"), 1,
            ["ran past its 1 s limit"], TimeSpan.FromSeconds(60), (c, _) => c.AllScoreErrors("ran past its 1 s limit")),
        ["program's children are killed on timeout"] = new(c => c.Eval("--limit", "1", "--scorer", $"program:{c.Script("tree.sh", $"sleep 120 &\necho $! >> '{c.P("children")}'\nwait")}", "--scorer-timeout", "1"), 1,
            ["ran past its 1 s limit"], TimeSpan.FromSeconds(60), (c, _) => c.NoChildSurvives()),
        ["program reads a 300 KB reference"] = new(c => c.Eval("--benchmark", c.Bench(("big", "What is 6*7?", new string('7', 300_000))), "--scorer",
            $"program:{c.Script("size.sh", "[ \"$(wc -c < \"$COMPOSE_REFERENCE_FILE\")\" -eq 300000 ]")}"), 0, ["|  100.0 % |"], Quick),
        ["program reads a reference with a NUL"] = new(c => c.Eval("--benchmark", c.Bench(("nul", "What is 6*7?", "a\0b")), "--scorer",
            $"program:{c.Script("nul.sh", "[ \"$(wc -c < \"$COMPOSE_REFERENCE_FILE\")\" -eq 3 ] && [ \"$(tr -d '\\000' < \"$COMPOSE_REFERENCE_FILE\")\" = ab ]")}"), 0, ["|  100.0 % |"], Quick),
        ["program reads a unicode candidate"] = new(c => c.Eval("--models", c.Models("Ünïcödé ✓ 答え 😀 42"), "--benchmark", c.Bench(("u", "Say it", "Ünïcödé ✓ 答え 😀 42")), "--scorer",
            $"program:{c.Script("uni.sh", "cat > \"$COMPOSE_ITEM_FILE.in\"; cmp -s \"$COMPOSE_ITEM_FILE.in\" \"$COMPOSE_CANDIDATE_FILE\" && cmp -s \"$COMPOSE_CANDIDATE_FILE\" \"$COMPOSE_REFERENCE_FILE\" && grep -q '\"id\":\"u\"' \"$COMPOSE_ITEM_FILE\"")}"),
            0, ["|  100.0 % |"], Quick),
        ["program sees no item text in its environment or arguments"] = new(c => c.Eval("--benchmark", c.Bench(("s", "What is 6*7?", "SECRET-REFERENCE-TEXT")), "--scorer",
            $"program:{c.Script("env.sh", "[ -z \"$COMPOSE_REFERENCE\" ] || exit 3; env | grep -q SECRET-REFERENCE && exit 4; tr '\\0' ' ' < /proc/$$/cmdline | grep -q SECRET-REFERENCE && exit 5; grep -q SECRET-REFERENCE-TEXT \"$COMPOSE_REFERENCE_FILE\"")}"),
            0, ["|  100.0 % |"], Quick),
        ["program is not a valid executable"] = new(c => c.Eval("--scorer", $"program:{c.Raw("garbage.bin", "\u007fnot really a program\n", executable: true)}"), 1,
            ["could not be scored", "cannot start the scorer program"], Quick),

        // regex: scorers
        ["regex backtracks catastrophically"] = new(c => c.Eval("--models", c.Models(new string('a', 48) + "!"), "--scorer", "regex:^(a|aa)*$"), 1,
            ["regular expression took longer than 1 s"], TimeSpan.FromSeconds(60), (c, _) => c.AllScoreErrors("regular expression took longer")),
        ["regex invalid"] = new(c => c.Eval("--scorer", "regex:(unclosed"), 2, ["CMP804", "not a valid regular expression"], Quick),

        // --out and the results file
        ["out is an existing file"] = new(c => c.Eval("--out", c.Raw("file-out", "x")), 2, ["CMP823", "is a file, not a folder", "file-out"], Quick),
        ["out below a regular file"] = new(c => c.Eval("--out", Path.Combine(c.Raw("file-parent", "x"), "out")), 2, ["CMP823", "file-parent"], Quick),
        ["out inside /proc"] = new(c => c.Eval("--out", "/proc/compose-hostile/out"), 2, ["CMP823", "/proc/compose-hostile/out"], Quick),
        ["out on a read-only disk"] = new(c => c.Eval("--out", Path.Combine(c.Mount("ro", readOnly: true), "out")), 2, ["CMP823", "Read-only file system"], Quick),
        ["out on a disk that fills up mid-run"] = new(FullDisk, 0, ["items resumed"], TimeSpan.FromSeconds(180)),
        ["results file is a folder"] = new(async c =>
        {
            var first = await c.Eval("--limit", "1");
            Assert.Equal(0, first.ExitCode);
            var results = c.ResultsPath();
            File.Delete(results);
            Directory.CreateDirectory(results);
            return await c.Eval();
        }, 2, ["CMP823", "the results file is a folder"], Quick),
        ["torn results file is resumed"] = new(async c =>
        {
            Assert.Equal(0, (await c.Eval("--limit", "2")).ExitCode);
            File.AppendAllText(c.ResultsPath(), "{\"id\":\"q3\",\"correct\":tr");
            return await c.Eval("--limit", "4");
        }, 0, ["(2 items resumed)"], TimeSpan.FromSeconds(90), (c, _) => c.ResultsAreWhole(4)),
        ["garbage line in the results file is cut off"] = new(async c =>
        {
            Assert.Equal(0, (await c.Eval("--limit", "2")).ExitCode);
            File.AppendAllText(c.ResultsPath(), "this is not a result\n{\"id\":\"q9\"}\n");
            return await c.Eval("--limit", "3");
        }, 0, ["(2 items resumed)"], TimeSpan.FromSeconds(90), (c, _) => c.ResultsAreWhole(3)),
        ["results file with a foreign header"] = new(async c =>
        {
            Assert.Equal(0, (await c.Eval("--limit", "1")).ExitCode);
            File.WriteAllText(c.ResultsPath(), "not a header\n");
            var refused = await c.Eval("--limit", "1");
            Assert.True(refused.ExitCode == 2 && refused.All.Contains("CMP825", StringComparison.Ordinal), refused.All);
            return await c.Eval("--limit", "1", "--fresh");
        }, 0, ["| single-call |"], TimeSpan.FromSeconds(90)),
        ["eval cache is not a database"] = new(c => c.Eval("--cache", c.Raw("cache.db", new string('x', 5000))), 2, ["CMP827", "cache.db"], Quick),

        // judge: scorers
        ["judge pipeline fails on every item"] = new(c => c.Eval("--scorer", $"judge:{c.BrokenJudge()}"), 1, ["could not be scored", "the judge pipeline failed"], Quick),
        ["judge pipeline missing"] = new(c => c.Eval("--scorer", $"judge:{c.P("no-judge.yaml")}"), 2, ["no-judge.yaml"], Quick),

        // compose search --out
        ["search: out is an existing file"] = new(c => c.Search(c.Raw("search-file", "x")), 2, ["CMP823", "search-file"], Quick),
        ["search: out below a regular file"] = new(c => c.Search(Path.Combine(c.Raw("search-parent", "x"), "s")), 2, ["CMP823", "search-parent"], Quick),
        ["search: out on a disk that is full"] = new(c =>
        {
            var disk = c.Mount("sfull", readOnly: false, sizeKiB: 64);
            File.WriteAllBytes(Path.Combine(disk, "filler"), new byte[48 * 1024]);
            return c.Search(Path.Combine(disk, "out"));
        }, 2, ["CMP823", "disk is full"], Quick),
        ["search: resume a corrupt study"] = new(c => c.Search(c.Folder("s", ("study.db", new string('z', 8192))), "--resume"), 2, ["CMP861", "study.db"], Quick),
        ["search: study is a folder"] = new(c =>
        {
            Directory.CreateDirectory(Path.Combine(c.P("s"), "study.db"));
            return c.Search(c.P("s"), "--resume");
        }, 2, ["CMP861", "is a folder"], Quick),
        ["search: study from another program"] = new(c => c.Search(c.ForeignStudy("s"), "--resume"), 2, ["CMP861"], Quick),
        ["search: cache is not a database"] = new(c => c.Search(c.Folder("s", ("cache.db", new string('q', 8192)))), 2, ["CMP827", "cache.db"], Quick),

        // one --out folder, one writer
        ["two evals on one out"] = new(c => c.Contend(c.EvalArgs(c.Out, "--scorer", $"program:{c.Holder()}", "--scorer-timeout", "300", "--limit", "1"), c.EvalArgs(c.Out)),
            2, ["CMP824", "another compose run holds the output folder"], TimeSpan.FromSeconds(150)),
        ["two searches on one out"] = new(c => c.Contend(c.SearchArgs(c.P("s"), "--scorer", $"program:{c.Holder()}", "--scorer-timeout", "300"), c.SearchArgs(c.P("s"))),
            2, ["CMP824", "another compose run holds the output folder"], TimeSpan.FromSeconds(150)),
        ["eval on the out a search holds"] = new(c => c.Contend(c.SearchArgs(c.P("s"), "--scorer", $"program:{c.Holder()}", "--scorer-timeout", "300"), c.EvalArgs(c.P("s"))),
            2, ["CMP824"], TimeSpan.FromSeconds(150)),
        ["eval killed with SIGKILL leaves no stale lock"] = new(c => c.KillThenRerun(c.EvalArgs(c.Out, "--scorer", $"program:{c.Holder()}", "--scorer-timeout", "300"), c.EvalArgs(c.Out)),
            0, ["| single-call |"], TimeSpan.FromSeconds(150)),
        ["search killed with SIGKILL leaves no stale lock"] = new(c => c.KillThenRerun(c.SearchArgs(c.P("s"), "--scorer", $"program:{c.Holder()}", "--scorer-timeout", "300"), c.SearchArgs(c.P("s"), "--scorer", $"program:{c.Holder()}", "--scorer-timeout", "300", "--resume")),
            0, ["best:", "1 interrupted trials run again"], TimeSpan.FromSeconds(150)),
    };

    /// <summary>A tmpfs that fills up while the results are written: exit 2 naming the file, whole lines kept; freed, the run resumes.</summary>
    private static async Task<CliResult> FullDisk(Ctx c)
    {
        var disk = c.Mount("full", readOnly: false, sizeKiB: 64);
        var outDir = Path.Combine(disk, "out");
        Directory.CreateDirectory(outDir);
        var filler = Path.Combine(disk, "filler");
        File.WriteAllBytes(filler, new byte[52 * 1024]);
        var items = Enumerable.Range(0, 40).Select(i => ($"q{i}", "What is 6*7?", "42")).ToArray();
        var bench = c.Bench(items);
        var failed = await c.Eval("--out", outDir, "--benchmark", bench, "--limit", "40");
        Assert.True(failed.ExitCode == 2, failed.All);
        Assert.Contains("CMP823", failed.All, StringComparison.Ordinal);
        Assert.Contains("No space left on device", failed.All, StringComparison.Ordinal);
        Assert.False(failed.ShowsStackTrace, failed.All);
        var results = Directory.GetFiles(outDir, "*.jsonl").Single();
        Assert.Contains(Path.GetFileName(results), failed.All, StringComparison.Ordinal);
        var kept = File.ReadAllText(results);
        Assert.True(kept.Length == 0 || kept.EndsWith('\n'), "a half-written line was left in the results file");
        File.Delete(filler);
        var resumed = await c.Eval("--out", outDir, "--benchmark", bench, "--limit", "40");
        Assert.Equal(41, File.ReadAllLines(results).Length);
        return resumed;
    }

    /// <summary>Temporary files of one case and the CLI invocations the corpus uses.</summary>
    private sealed class Ctx(string dir) : IDisposable
    {
        private readonly List<string> _mounts = [];

        public string Dir { get; } = dir;

        public string Out => P("out");

        public string P(string name) => Path.Combine(Dir, name);

        public void Dispose()
        {
            foreach (var m in _mounts)
            {
                Run("umount", "-l", m);
            }

            Directory.Delete(Dir, recursive: true);
        }

        public string[] EvalArgs(string outDir, params string[] extra)
        {
            var args = new List<string> { "eval", Repo.Path("pipelines", "single-call.yaml"), "--out", outDir, "--models", Repo.ScriptedModels, "--benchmark", Bench(), "--limit", "2" };
            foreach (var (k, i) in extra.Select((k, i) => (k, i)))
            {
                var at = args.IndexOf(k);
                if (k.StartsWith("--", StringComparison.Ordinal) && at >= 0 && i + 1 < extra.Length && !extra[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    args.RemoveRange(at, 2); // a later value replaces the default
                }
            }

            return [.. args, .. extra];
        }

        public Task<CliResult> Eval(params string[] extra) => Cli.Process(EvalArgs(Out, extra));

        public string[] SearchArgs(string outDir, params string[] extra) =>
            ["search", Repo.Path("examples", "search", "arith.space.yaml"), "--benchmark", Repo.Path("examples", "search", "arith-mini.jsonl"), "--trials", "2", "--limit", "2", "--out", outDir, .. extra];

        public Task<CliResult> Search(string outDir, params string[] extra) => Cli.Process(SearchArgs(outDir, extra));

        /// <summary>The benchmark of the tests: by default items whose question the scripted models answer (42).</summary>
        public string Bench(params (string Id, string Prompt, string Reference)[] items)
        {
            var path = P(items.Length == 0 ? "bench.jsonl" : $"bench-{Guid.NewGuid():N}.jsonl");
            if (items.Length == 0)
            {
                // One file per case, so every run of a case evaluates the same benchmark (and resumes).
                items = [("q1", "What is 6*7?", "42"), ("q2", "What is 6 x 7?", "42"), ("q3", "What is 6*7 here?", "42"), ("q4", "Say 6x7", "42")];
            }

            File.WriteAllLines(path, items.Select(i => JsonSerializer.Serialize(new { id = i.Id, prompt = i.Prompt, reference = i.Reference })));
            return path;
        }

        public string Models(string reply)
        {
            var path = P($"models-{Guid.NewGuid():N}.yaml");
            var text = JsonSerializer.Serialize(reply, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            File.WriteAllText(path, $"models:\n  default:\n    provider: scripted\n    default: {text}\n", new UTF8Encoding(false));
            return path;
        }

        public string Script(string name, string body, bool executable = true) => Raw(name, "#!/bin/sh\n" + body + "\n", executable);

        public string Raw(string name, string content, bool executable = false)
        {
            var path = P(name);
            File.WriteAllText(path, content, new UTF8Encoding(false));
            if (executable && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            return path;
        }

        public string Folder(string name, params (string File, string Content)[] files)
        {
            var path = P(name);
            Directory.CreateDirectory(path);
            foreach (var (file, content) in files)
            {
                File.WriteAllText(Path.Combine(path, file), content);
            }

            return path;
        }

        public string ForeignStudy(string name)
        {
            var path = Folder(name);
            using var c = new SqliteConnection($"Data Source={Path.Combine(path, "study.db")};Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE trials (number INTEGER PRIMARY KEY, architecture TEXT); INSERT INTO trials VALUES (0, '{not json');";
            cmd.ExecuteNonQuery();
            return path;
        }

        /// <summary>A judge pipeline whose only model is a server that is not there.</summary>
        public string BrokenJudge() => Raw("judge.yaml", """
            compose: 1
            name: broken-judge
            models:
              unreachable: { provider: openai, base_url: "http://127.0.0.1:9/v1", model: none, max_retries: 0 }
            defaults: { model: unreachable, max_tokens: 16 }
            layers:
              - generate: { samples: 1 }
            output: first
            """);

        /// <summary>A scorer that marks <c>started</c> on its first call, then waits (up to 4 minutes) for <c>release</c>.</summary>
        public string Holder() => Script("holder.sh", $"""
            if [ ! -e '{P("started")}' ]; then
              touch '{P("started")}'
              i=0
              while [ ! -e '{P("release")}' ] && [ $i -lt 2400 ]; do sleep 0.1; i=$((i+1)); done
            fi
            exit 0
            """);

        /// <summary>Starts <paramref name="holder"/>, waits until it is scoring (so it holds its folder), runs <paramref name="second"/>, then releases the holder.</summary>
        public async Task<CliResult> Contend(string[] holder, string[] second)
        {
            await using var first = Background.Start(holder);
            await WaitForAsync(P("started"), first);
            var refused = await Cli.Process(second);
            File.WriteAllText(P("release"), "");
            var done = await first.WaitAsync();
            Assert.True(done.ExitCode == 0, $"the run holding the folder failed:\n{done.All}");
            return refused;
        }

        /// <summary>Starts <paramref name="holder"/>, SIGKILLs it (and its scorer) while it holds the folder, then runs <paramref name="rerun"/>.</summary>
        public async Task<CliResult> KillThenRerun(string[] holder, string[] rerun)
        {
            await using (var first = Background.Start(holder))
            {
                await WaitForAsync(P("started"), first);
                first.Kill();
            }

            File.WriteAllText(P("release"), "");
            return await Cli.Process(rerun);
        }

        public string Mount(string name, bool readOnly, int sizeKiB = 64)
        {
            var path = Folder(name);
            var code = Run("mount", "-t", "tmpfs", "-o", $"{(readOnly ? "ro," : "")}size={sizeKiB}k", "tmpfs", path);
            Skip.If(code != 0, $"cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN; exit {code}), so a {(readOnly ? "read-only" : "full")} disk cannot be made; skipped");
            _mounts.Add(path);
            return path;
        }

        public string ResultsPath() => Directory.GetFiles(Out, "*.jsonl").Single();

        public string ResultsText() => File.ReadAllText(ResultsPath());

        public void AllScoreErrors(string reason)
        {
            var items = File.ReadAllLines(ResultsPath()).Skip(1).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.NotEmpty(items);
            Assert.All(items, i => Assert.Contains(reason, i.GetProperty("score_error").GetString(), StringComparison.Ordinal));
            Assert.All(items, i => Assert.False(i.GetProperty("correct").GetBoolean()));
        }

        public void ResultsAreWhole(int items)
        {
            var lines = File.ReadAllLines(ResultsPath());
            Assert.Equal(items + 1, lines.Length);
            Assert.Equal(items, lines.Skip(1).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).Distinct().Count());
        }

        public void NoChildSurvives()
        {
            var pids = File.ReadAllLines(P("children")).Where(l => l.Length > 0).Select(l => int.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.NotEmpty(pids);
            Assert.All(pids, pid => Assert.False(IsRunning(pid), $"the scorer's child {pid} outlived the timeout"));
        }

        private static bool IsRunning(int pid)
        {
            // A killed child reparented to a container's init may linger as a zombie: that is not running.
            try
            {
                var text = File.ReadAllText($"/proc/{pid}/stat");
                return text[(text.LastIndexOf(')') + 2)..].Split(' ')[0] is not ("Z" or "X");
            }
            catch (IOException)
            {
                return false;
            }
        }

        private static async Task WaitForAsync(string marker, Background holder)
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(marker))
            {
                if (holder.HasExited)
                {
                    Assert.Fail($"the holding run ended before it started scoring:\n{(await holder.WaitAsync()).All}");
                }

                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), "the holding run never started scoring");
                await Task.Delay(100);
            }
        }

        private static int Run(string file, params string[] args)
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            try
            {
                using var p = Process.Start(psi)!;
                p.WaitForExit(30_000);
                return p.HasExited ? p.ExitCode : -1;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return -1;
            }
        }
    }

    /// <summary>The real CLI running in the background.</summary>
    private sealed class Background : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _out;
        private readonly Task<string> _err;

        private Background(Process process)
        {
            _process = process;
            _out = process.StandardOutput.ReadToEndAsync();
            _err = process.StandardError.ReadToEndAsync();
        }

        public bool HasExited => _process.HasExited;

        public static Background Start(string[] args)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
            psi.ArgumentList.Add(Dll);
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            return new Background(Process.Start(psi)!);
        }

        public void Kill() => _process.Kill(entireProcessTree: true);

        public async Task<CliResult> WaitAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await _process.WaitForExitAsync(timeout.Token);
            return new CliResult(_process.ExitCode, await _out, await _err);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
