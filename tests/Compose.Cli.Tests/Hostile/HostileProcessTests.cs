using System.Diagnostics;

namespace Compose.Cli.Tests.Hostile;

/// <summary>
/// Hostile inputs that need the CLI as a child process: the environment of the process (an API key set in it
/// must never come out) and memory (a heap hard limit on the child: an input that were read whole would fail it).
/// </summary>
public sealed class HostileProcessTests(HostileFileFixture fx) : IClassFixture<HostileFileFixture>
{
    private const string KeyVariable = "COMPOSE_TEST_SECRET_API_KEY";
    private const string KeyValue = "sk-test-0123456789abcdefSECRET";

    /// <summary>The child's managed heap may not grow past 256 MB.</summary>
    private static readonly Dictionary<string, string> SmallHeap = new() { ["DOTNET_GCHeapHardLimit"] = "0x10000000" };

    [SkippableTheory]
    [InlineData("/proc/self/environ")]
    [InlineData("/proc/self/cmdline")]
    [InlineData("link-out.sbn")]
    [InlineData("dirlink/key.txt")]
    [InlineData("../secret/key.txt")]
    public async Task A_prompt_file_outside_the_folder_is_never_read_and_no_key_comes_out(string file)
    {
        Skip.If(OperatingSystem.IsWindows(), "/proc and symlinks");
        var pipeline = fx.WritePipeline($"leak-{Math.Abs(file.GetHashCode(StringComparison.Ordinal))}.yaml",
            HostileFileFixture.Pipeline($"generate: {{ prompts: {{ generate: {{ file: '{file}' }} }} }}", "models:\n  m: { provider: scripted, rules: [ { when: '(?s).*', reply: 'echo' } ] }\n"));
        var trace = fx.P($"trace-{Guid.NewGuid():N}.jsonl");

        var result = await Cli.Process(["run", pipeline, "--input", "hi", "--trace", trace, "--json"], env: new Dictionary<string, string> { [KeyVariable] = KeyValue });

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("CMP109", result.Error, StringComparison.Ordinal);
        Assert.False(result.ShowsStackTrace, result.All);
        var traceText = File.Exists(trace) ? await File.ReadAllTextAsync(trace) : "";
        foreach (var text in new[] { result.Out, result.Error, traceText })
        {
            Assert.DoesNotContain(KeyValue, text, StringComparison.Ordinal);
            Assert.DoesNotContain(KeyVariable, text, StringComparison.Ordinal);
            Assert.DoesNotContain(HostileFileFixture.SecretText, text, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task An_eval_over_a_pipeline_that_names_the_environment_writes_no_key_into_its_results()
    {
        Skip.If(OperatingSystem.IsWindows(), "/proc");
        var pipeline = fx.WritePipeline("leak-eval.yaml", HostileFileFixture.Pipeline("generate: { prompts: { generate: { file: '/proc/self/environ' } } }"));
        var outDir = fx.P($"eval-leak-{Guid.NewGuid():N}");
        var result = await Cli.Process(["eval", pipeline, "--benchmark", fx.P("data", "bench.jsonl"), "--out", outDir, "--json"], env: new Dictionary<string, string> { [KeyVariable] = KeyValue });

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("CMP109", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyValue, result.All, StringComparison.Ordinal);
        var written = Directory.Exists(outDir) ? Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Select(File.ReadAllText) : [];
        Assert.All(written, text => Assert.DoesNotContain(KeyValue, text, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Allowing_proc_is_the_operators_choice_and_the_run_ends_without_a_stack_trace_or_the_key()
    {
        Skip.If(OperatingSystem.IsWindows(), "/proc");
        var pipeline = fx.WritePipeline("leak-allowed.yaml", HostileFileFixture.Pipeline("generate: { prompts: { generate: { file: '/proc/self/environ' } } }"));
        var result = await Cli.Process(["run", pipeline, "--input", "hi", "--allow-path", "/proc"], env: new Dictionary<string, string> { [KeyVariable] = KeyValue });

        // With --allow-path /proc the operator lets the pipeline read /proc/self/environ (a regular file of size 0
        // that reads as more; the read is still bounded by --max-file-bytes). This scripted model does not echo its
        // prompt, so this checks only that the run ends cleanly and prints no key of its own accord.
        Assert.DoesNotContain(KeyValue, result.All, StringComparison.Ordinal);
        Assert.False(result.ShowsStackTrace, result.All);
    }

    public static TheoryData<string> LargeInputs() =>
    [
        "pipeline /dev/zero", "input-file /dev/zero", "models /dev/zero", "benchmark /dev/zero", "benchmark of 2 GiB",
        "benchmark of one 300 MB line", "pipeline of 5 MiB", "space /dev/zero", "stdin of 64 MB",
    ];

    [SkippableTheory]
    [MemberData(nameof(LargeInputs))]
    public async Task Large_inputs_are_refused_with_bounded_memory_and_time(string input)
    {
        Skip.If(OperatingSystem.IsWindows(), "/dev and sparse files");
        var inside = fx.P("p", "inside.yaml");
        var bench = fx.P("data", "bench.jsonl");
        var (args, code) = input switch
        {
            "pipeline /dev/zero" => (new[] { "run", "/dev/zero", "--input", "q" }, "CMP107"),
            "input-file /dev/zero" => (["run", inside, "--input-file", "/dev/zero"], "CMP107"),
            "models /dev/zero" => (["run", inside, "--input", "q", "--models", "/dev/zero"], "CMP107"),
            "benchmark /dev/zero" => (["eval", inside, "--benchmark", "/dev/zero", "--out", fx.P("o1")], "CMP107"),
            "benchmark of 2 GiB" => (["eval", inside, "--benchmark", fx.P("data", "huge.jsonl"), "--out", fx.P("o2")], "CMP108"),
            "benchmark of one 300 MB line" => (["eval", inside, "--benchmark", fx.P("data", "one-line.jsonl"), "--out", fx.P("o3")], "CMP108"),
            "pipeline of 5 MiB" => (["validate", fx.P("data", "big.yaml")], "CMP108"),
            "space /dev/zero" => (["search", "/dev/zero", "--benchmark", bench, "--trials", "1", "--out", fx.P("o4")], "CMP107"),
            "stdin of 64 MB" => (["run", inside], "CMP108"),
            _ => throw new ArgumentOutOfRangeException(nameof(input)),
        };
        var stdin = input == "stdin of 64 MB" ? new string('x', 64 * 1024 * 1024) : null;

        var clock = Stopwatch.StartNew();
        var result = await Cli.Process(args, stdin: stdin, env: SmallHeap);
        clock.Stop();

        Assert.True(result.ExitCode == 2, $"{input}: exit {result.ExitCode}\n{result.All}");
        Assert.Contains(code, result.All, StringComparison.Ordinal);
        Assert.False(result.ShowsStackTrace, result.All);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{input}: took {clock.Elapsed}");
    }
}
