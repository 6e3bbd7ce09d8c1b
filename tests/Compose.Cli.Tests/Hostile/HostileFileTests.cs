using System.Diagnostics;

namespace Compose.Cli.Tests.Hostile;

/// <summary>
/// The hostile-input corpus for the file boundary, paths a pipeline names, templates, user regexes: each case
/// drives the real CLI and asserts the exit code, the diagnostic code, bounded time and no stack trace.
/// docs/security.md describes what each boundary promises.
/// </summary>
public sealed class HostileFileTests(HostileFileFixture fx) : IClassFixture<HostileFileFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>One hostile input: the command line (built over the fixture), the exit code and the diagnostic code expected.</summary>
    public sealed record Case(string Name, Func<HostileFileFixture, string[]> Args, int Exit, string? Code)
    {
        public override string ToString() => Name;
    }

    private static string[] Run(HostileFileFixture f, string pipeline, params string[] more) => ["run", pipeline, "--input", "What is 6*7?", .. more];

    private static string PromptPipeline(HostileFileFixture f, string file, string name) =>
        f.WritePipeline(name, HostileFileFixture.Pipeline($"generate: {{ prompts: {{ generate: {{ file: '{file}' }} }} }}"));

    private static string ModelPipeline(HostileFileFixture f, string provider, string path, string name, string extra = "") =>
        f.WritePipeline(name, HostileFileFixture.Pipeline("generate: {}", $"models:\n  m: {{ provider: {provider}, path: '{path}'{extra} }}\n"));

    private static readonly Dictionary<string, Case> ByName = Build().ToDictionary(c => c.Name, StringComparer.Ordinal);

    /// <summary>The case names (serializable, so each case is its own test in the runner).</summary>
    public static TheoryData<string> Cases() => [.. ByName.Keys];

    private static List<Case> Build()
    {
        var data = new List<Case>();

        // 1. Prompt files a pipeline names: confined to its folder tree after symlinks; special files refused.
        var prompts = new (string File, int Exit, string? Code)[]
        {
            ("/etc/passwd", 2, "CMP109"), ("/proc/self/environ", 2, "CMP109"), ("../secret/key.txt", 2, "CMP109"),
            ("../../../../../../../../etc/passwd", 2, "CMP109"), ("sub/../../secret/key.txt", 2, "CMP109"), ("link-out.sbn", 2, "CMP109"),
            ("dirlink/key.txt", 2, "CMP109"), ("chain1", 2, "CMP109"), ("loop1", 2, "CMP109"), ("dangling.sbn", 2, "CMP109"),
            ("relative-out.sbn", 2, "CMP109"), ("/dev/zero", 2, "CMP109"), ("/dev/stdin", 2, "CMP109"), ("fifo.sbn", 2, "CMP107"),
            ("big.sbn", 2, "CMP108"), ("folder.sbn", 2, "CMP107"), ("missing.sbn", 2, "CMP406"),
            ("ok.sbn", 0, null), ("sub/inner.sbn", 0, null), ("inner-link.sbn", 0, null), ("dirlink/../p/ok.sbn", 0, null),
        };
        var i = 0;
        foreach (var (file, exit, code) in prompts)
        {
            var n = i++;
            data.Add(new Case($"run: prompt file {file}", f => Run(f, PromptPipeline(f, file, $"prompt-run-{n}.yaml")), exit, code));
            data.Add(new Case($"validate: prompt file {file}", f => ["validate", PromptPipeline(f, file, $"prompt-validate-{n}.yaml")], exit, code));
        }

        data.Add(new Case("run: --allow-path widens confinement to the secret folder", f => Run(f, PromptPipeline(f, "link-out.sbn", "allowed.yaml"), "--allow-path", f.P("secret")), 0, null));
        data.Add(new Case("run: --allow-path of another folder does not", f => Run(f, PromptPipeline(f, "link-out.sbn", "allowed-other.yaml"), "--allow-path", f.P("data")), 2, "CMP109"));

        // 1. Pipeline models and recordings a pipeline names.
        data.Add(new Case("pipeline model outside the folder", f => Run(f, ModelPipeline(f, "pipeline", "../secret/p.yaml", "pm-out.yaml")), 2, "CMP109"));
        data.Add(new Case("pipeline model /etc/passwd", f => Run(f, ModelPipeline(f, "pipeline", "/etc/passwd", "pm-passwd.yaml")), 2, "CMP109"));
        data.Add(new Case("pipeline model through a symlink out", f => Run(f, ModelPipeline(f, "pipeline", "pipe-link.yaml", "pm-link.yaml")), 2, "CMP109"));
        data.Add(new Case("pipeline model a FIFO", f => Run(f, ModelPipeline(f, "pipeline", "fifo.sbn", "pm-fifo.yaml")), 2, "CMP107"));
        data.Add(new Case("pipeline model a folder", f => Run(f, ModelPipeline(f, "pipeline", "folder.sbn", "pm-folder.yaml")), 2, "CMP107"));
        data.Add(new Case("pipeline model inside the folder", f => Run(f, ModelPipeline(f, "pipeline", "inside.yaml", "pm-inside.yaml")), 0, null));
        data.Add(new Case("replay recordings outside the folder", f => Run(f, ModelPipeline(f, "replay", "../secret/rec.jsonl", "rp-out.yaml", ", model: m")), 2, "CMP109"));
        data.Add(new Case("replay recordings /proc/self/environ", f => Run(f, ModelPipeline(f, "replay", "/proc/self/environ", "rp-env.yaml", ", model: m")), 2, "CMP109"));
        data.Add(new Case("replay recordings a FIFO", f => Run(f, ModelPipeline(f, "replay", "fifo.sbn", "rp-fifo.yaml", ", model: m")), 2, "CMP107"));
        data.Add(new Case("replay recordings a folder", f => Run(f, ModelPipeline(f, "replay", "folder.sbn", "rp-folder.yaml", ", model: m")), 2, "CMP107"));
        data.Add(new Case("models file whose pipeline model leaves the models file's folder", f => Run(f, f.P("p", "inside.yaml"), "--models", f.P("models", "escape.yaml")), 2, "CMP109"));

        // 2. Every file the CLI reads: the pipeline, --models, --input-file, --benchmark, a search space.
        var specials = new (string Name, Func<HostileFileFixture, string> Path, string Code)[]
        {
            ("/dev/zero", _ => "/dev/zero", "CMP107"), ("/dev/null", _ => "/dev/null", "CMP107"), ("/dev/urandom", _ => "/dev/urandom", "CMP107"),
            ("a FIFO", f => f.P("data", "fifo"), "CMP107"), ("a folder", f => f.P("data"), "CMP107"), ("a 5 MiB file", f => f.P("data", "big.yaml"), "CMP108"),
            ("a missing file", f => f.P("data", "missing.yaml"), "CMP101"),
        };
        foreach (var (name, path, code) in specials)
        {
            data.Add(new Case($"validate: pipeline is {name}", f => ["validate", path(f)], 2, code));
            data.Add(new Case($"graph: pipeline is {name}", f => ["graph", path(f)], 2, code));
            data.Add(new Case($"run: pipeline is {name}", f => Run(f, path(f)), 2, code));
            data.Add(new Case($"run: --models is {name}", f => Run(f, f.P("p", "inside.yaml"), "--models", path(f)), 2, code));
            data.Add(new Case($"run: --input-file is {name}", f => ["run", f.P("p", "inside.yaml"), "--input-file", path(f)], 2, code));
            data.Add(new Case($"eval: --benchmark is {name}", f => ["eval", f.P("p", "inside.yaml"), "--benchmark", path(f), "--out", f.P("out-" + name.Replace(' ', '-').Replace('/', '-'))], 2, code == "CMP101" ? "CMP800" : code == "CMP108" ? null : code));
            data.Add(new Case($"search: space is {name}", f => ["search", path(f), "--benchmark", f.P("data", "bench.jsonl"), "--trials", "1", "--out", f.P("sout")], 2, code == "CMP101" ? "CMP850" : code));
        }

        data.Add(new Case("eval: benchmark over --max-data-bytes", f => ["eval", f.P("p", "inside.yaml"), "--benchmark", f.P("data", "bench.jsonl"), "--max-data-bytes", "10", "--out", f.P("out-cap")], 2, "CMP108"));
        data.Add(new Case("eval: a 2 GiB benchmark", f => ["eval", f.P("p", "inside.yaml"), "--benchmark", f.P("data", "huge.jsonl"), "--out", f.P("out-huge")], 2, "CMP108"));
        data.Add(new Case("eval: a 300 MB benchmark of one line", f => ["eval", f.P("p", "inside.yaml"), "--benchmark", f.P("data", "one-line.jsonl"), "--out", f.P("out-line")], 2, "CMP108"));
        data.Add(new Case("search: space names a models file outside its folder", f => ["search", f.P("p", "space-out.yaml"), "--benchmark", f.P("data", "bench.jsonl"), "--trials", "1", "--out", f.P("sout-out")], 2, "CMP109"));
        data.Add(new Case("search: space names a models file through a symlink out", f => ["search", f.P("p", "space-via-link.yaml"), "--benchmark", f.P("data", "bench.jsonl"), "--trials", "1", "--out", f.P("sout-link")], 2, "CMP109"));
        data.Add(new Case("validate: --max-file-bytes raised reads the 5 MiB file of NULs (then it holds no YAML)", f => ["validate", f.P("data", "big.yaml"), "--max-file-bytes", "10000000"], 2, "CMP103"));
        data.Add(new Case("run: --max-file-bytes 0", f => ["validate", f.P("p", "inside.yaml"), "--max-file-bytes", "0"], 2, null));
        data.Add(new Case("run: --max-file-bytes -5", f => ["validate", f.P("p", "inside.yaml"), "--max-file-bytes", "-5"], 2, null));
        data.Add(new Case("run: --max-file-bytes abc", f => ["validate", f.P("p", "inside.yaml"), "--max-file-bytes", "abc"], 2, null));
        data.Add(new Case("run: --max-data-bytes 99999999999999999999", f => ["validate", f.P("p", "inside.yaml"), "--max-data-bytes", "99999999999999999999"], 2, null));
        data.Add(new Case("run: --trace is a FIFO (opening it would block)", f => Run(f, f.P("p", "inside.yaml"), "--trace", f.P("data", "fifo")), 2, "CMP107"));
        data.Add(new Case("run: --trace is a folder", f => Run(f, f.P("p", "inside.yaml"), "--trace", f.P("data")), 2, "CMP107"));
        data.Add(new Case("run: --trace is /dev/full", f => Run(f, f.P("p", "inside.yaml"), "--trace", "/dev/full"), 2, "CMP107"));
        data.Add(new Case("run: a question file within the cap", f => ["run", f.P("p", "inside.yaml"), "--input-file", f.P("p", "ok.sbn")], 0, null));

        // 8. Templates that would run away are stopped by time.
        data.Add(new Case("run: a template that pads in a loop", f => Run(f, f.WritePipeline("t-pad.yaml", HostileFileFixture.Pipeline("generate: { prompt: \"{{ for i in 1..9000 }}{{ x = 'a' | string.pad_left 1900000 }}{{ end }}\" }"))), 1, "CMP707"));
        data.Add(new Case("run: a template that recurses 2^30 times", f => Run(f, f.WritePipeline("t-rec.yaml", HostileFileFixture.Pipeline("generate: { prompt: \"{{ func f(n); if n > 0; f(n - 1); f(n - 1); end; end; f(30) }}\" }"))), 1, "CMP707"));
        data.Add(new Case("run: a template that includes a file", f => Run(f, f.WritePipeline("t-inc.yaml", HostileFileFixture.Pipeline("generate: { prompt: \"{{ include '/etc/passwd' }}\" }"))), 1, null));

        // 6. User regexes that backtrack catastrophically cost a bounded time per question and are reported.
        const string Evil = "models:\n  m: { provider: scripted, default: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\" }\n";
        data.Add(new Case("run: vote extract (a+)+b over 300 samples", f => Run(f, f.WritePipeline("r-vote.yaml", HostileFileFixture.Pipeline("generate: { samples: 300 }\n  - vote: { extract: '(a+)+b' }", Evil))), 0, "CMP706"));
        data.Add(new Case("run: verify regex (a+)+b over 300 samples", f => Run(f, f.WritePipeline("r-verify.yaml", HostileFileFixture.Pipeline("generate: { samples: 300 }\n  - verify: { check: { regex: '(a+)+b' }, on_none: keep_all }", Evil))), 0, "CMP706"));
        data.Add(new Case("run: output extract (a+)+b over 300 samples", f => Run(f, f.WritePipeline("r-output.yaml", HostileFileFixture.Pipeline("generate: { samples: 300 }", Evil) + "output: { select: vote, extract: '(a+)+b' }\n")), 0, "CMP706"));
        data.Add(new Case("eval: vote extract (a+)+b over 300 samples is reported per item", f => ["eval", f.WritePipeline("r-eval.yaml", HostileFileFixture.Pipeline("generate: { samples: 300 }\n  - vote: { extract: '(a+)+b' }", Evil)), "--benchmark", f.P("data", "bench.jsonl"), "--out", f.P("out-regex")], 0, "CMP706"));
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task Hostile_input_is_refused_with_its_code_in_bounded_time(string name)
    {
        var c = ByName[name];
        Skip.If(OperatingSystem.IsWindows(), "the corpus uses FIFOs, symlinks and /dev");
        var clock = Stopwatch.StartNew();
        var result = await Cli.InProcess(c.Args(fx));
        clock.Stop();

        Assert.True(c.Exit == result.ExitCode, $"{c.Name}: exit {result.ExitCode}, expected {c.Exit}\n{result.All}");
        if (c.Code is not null)
        {
            Assert.Contains(c.Code, result.All, StringComparison.Ordinal);
        }

        Assert.False(result.ShowsStackTrace, $"{c.Name}: {result.All}");
        Assert.DoesNotContain(HostileFileFixture.SecretText, result.All, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < Bound, $"{c.Name}: took {clock.Elapsed}");
    }
}
