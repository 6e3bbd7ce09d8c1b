using System.Text.Json;

namespace Compose.Cli.Tests;

/// <summary>The real compose executable, as a user runs it.</summary>
public sealed class EndToEndTests
{
    public static TheoryData<string> PipelineFiles() => [.. Repo.PipelineFiles().Select(f => Path.GetRelativePath(Repo.Root, f))];

    [Theory]
    [MemberData(nameof(PipelineFiles))]
    public async Task Every_shipped_pipeline_validates(string file)
    {
        var result = await Cli.Process(["validate", file, "--models", Repo.ScriptedModels, .. Repo.TechniquesFor(file)]);
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains(": ok (", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("error", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(PipelineFiles))]
    public async Task Every_shipped_pipeline_runs_end_to_end_on_scripted_models(string file)
    {
        var result = await Cli.Process(["run", file, "--models", Repo.ScriptedModels, "--input", "What is 6*7?", "--json", .. Repo.TechniquesFor(file)]);
        Assert.True(result.ExitCode == 0, result.All);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Contains("42", json.RootElement.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.True(json.RootElement.GetProperty("usage").GetProperty("calls").GetInt32() >= 1);
        Assert.False(result.ShowsStackTrace, result.All);
    }

    [Fact]
    public async Task Every_pipeline_header_says_when_to_use_it()
    {
        foreach (var file in Repo.PipelineFiles())
        {
            var text = await File.ReadAllTextAsync(file);
            Assert.StartsWith("# yaml-language-server: $schema=", text, StringComparison.Ordinal);
            Assert.Matches(@"(?i)use (it|this)", text.Split("\ncompose:")[0]);
        }
    }

    [Fact]
    public async Task Run_reads_the_question_from_standard_input()
    {
        var result = await Cli.Process(["run", "pipelines/single-call.yaml", "--models", Repo.ScriptedModels], stdin: "What is the capital of France?\n");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Paris", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_reads_the_question_from_a_file()
    {
        var input = Path.GetTempFileName();
        await File.WriteAllTextAsync(input, "What is 6*7?");
        var result = await Cli.Process(["run", "pipelines/single-call.yaml", "--models", Repo.ScriptedModels, "--input-file", input]);
        File.Delete(input);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("42", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_without_a_question_is_bad_input()
    {
        var result = await Cli.Process(["run", "pipelines/single-call.yaml", "--models", Repo.ScriptedModels]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no question", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Same_seed_gives_the_same_run_and_another_seed_another()
    {
        var args = new[] { "run", "pipelines/self-consistency.yaml", "--models", Repo.ScriptedModels, "--input", "What is 6*7?", "--json" };
        var a = await Cli.Process([.. args, "--seed", "11"]);
        var b = await Cli.Process([.. args, "--seed", "11"]);
        var c = await Cli.Process([.. args, "--seed", "12"]);
        Assert.Equal(Texts(a.Out), Texts(b.Out));
        Assert.NotEqual(Texts(a.Out), Texts(c.Out));

        static string Texts(string json)
        {
            using var doc = JsonDocument.Parse(json);
            return string.Join("|", doc.RootElement.GetProperty("candidates").EnumerateArray().Select(x => x.GetProperty("text").GetString()));
        }
    }

    [Fact]
    public async Task Trace_records_every_call_and_every_candidate()
    {
        var trace = Path.Combine(Path.GetTempPath(), $"compose-trace-{Guid.NewGuid():N}.jsonl");
        var result = await Cli.Process(["run", "pipelines/generate-critique-rank-fuse.yaml", "--models", Repo.ScriptedModels, "--input", "What is 6*7?", "--trace", trace]);
        Assert.Equal(0, result.ExitCode);
        var events = (await File.ReadAllLinesAsync(trace)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        File.Delete(trace);
        Assert.Equal("run_start", events[0].GetProperty("event").GetString());
        Assert.Equal("run_end", events[^1].GetProperty("event").GetString());
        Assert.Equal(22, events.Count(e => e.GetProperty("event").GetString() == "call"));
        // 10 generated + 10 critiqued + 5 ranked + 1 fused
        Assert.Equal(26, events.Count(e => e.GetProperty("event").GetString() == "candidate"));
        var critiqued = events.Where(e => e.GetProperty("event").GetString() == "candidate" && e.GetProperty("node").GetString() == "L2.critique").ToList();
        Assert.All(critiqued, e => Assert.Equal(1, e.GetProperty("candidate").GetProperty("critiques").GetArrayLength()));
        Assert.Equal(22, events[^1].GetProperty("usage").GetProperty("calls").GetInt32());
    }

    [Fact]
    public async Task Graph_prints_bounds_and_pictures()
    {
        var text = await Cli.Process(["graph", "pipelines/generate-critique-rank-fuse.yaml", "--models", Repo.ScriptedModels]);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("22", text.Out, StringComparison.Ordinal);
        var mermaid = await Cli.Process(["graph", "pipelines/generate-critique-rank-fuse.yaml", "--models", Repo.ScriptedModels, "--format", "mermaid"]);
        Assert.StartsWith("flowchart", mermaid.Out.TrimStart(), StringComparison.Ordinal);
        var dot = await Cli.Process(["graph", "pipelines/generate-critique-rank-fuse.yaml", "--models", Repo.ScriptedModels, "--format", "dot"]);
        Assert.StartsWith("digraph", dot.Out.TrimStart(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_file_gives_located_diagnostics_and_exit_code_2_without_a_stack_trace()
    {
        var file = Path.Combine(Path.GetTempPath(), $"broken-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, "compose: 1\nname: x\nlayers:\n  - generate: { sample: 3 }\n  - rank: { keep: 0 }\n");
        var result = await Cli.Process(["validate", file]);
        File.Delete(file);
        Assert.Equal(2, result.ExitCode);
        Assert.Matches(@"broken-\w+\.yaml:4:\d+: error CMP\d{3}: .*sample", result.Error);
        Assert.Contains("did you mean 'samples'", result.Error, StringComparison.Ordinal);
        Assert.Matches(@"broken-\w+\.yaml:5:\d+: error CMP\d{3}", result.Error);
        Assert.False(result.ShowsStackTrace, result.All);
    }

    [Fact]
    public async Task Unknown_options_and_missing_files_are_bad_input()
    {
        Assert.Equal(2, (await Cli.Process(["run", "pipelines/single-call.yaml", "--nope"])).ExitCode);
        var missing = await Cli.Process(["validate", "no/such/file.yaml"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("not found", missing.Error, StringComparison.Ordinal);
        Assert.False(missing.ShowsStackTrace);
    }

    [Fact]
    public async Task A_run_that_fails_exits_with_1_and_says_why()
    {
        var file = Path.Combine(Path.GetTempPath(), $"fails-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, """
            compose: 1
            name: strict
            models:
              m: { provider: scripted, default: "I am not sure." }
            defaults: { model: m }
            layers:
              - generate: { samples: 2 }
              - verify: { check: { number: true }, on_none: fail }
            """);
        var result = await Cli.Process(["run", file, "--input", "What is 2+2?"]);
        File.Delete(file);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no candidate passed verification", result.Error, StringComparison.Ordinal);
        Assert.False(result.ShowsStackTrace, result.All);
    }

    [Fact]
    public async Task A_budget_stop_returns_the_best_result_so_far_flagged()
    {
        var result = await Cli.Process(["run", "pipelines/generate-critique-rank-fuse.yaml", "--models", Repo.ScriptedModels, "--input", "What is 6*7?", "--max-calls", "12", "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        Assert.True(json.RootElement.GetProperty("budget_exhausted").GetBoolean());
        Assert.True(json.RootElement.GetProperty("usage").GetProperty("calls").GetInt32() <= 12);
        Assert.NotNull(json.RootElement.GetProperty("answer").GetString());
        Assert.Contains("budget exhausted", result.Error, StringComparison.Ordinal);
    }
}
