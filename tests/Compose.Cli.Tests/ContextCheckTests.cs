using System.Diagnostics;

namespace Compose.Cli.Tests;

/// <summary>
/// A technique whose prompts cannot fit the default model's context is found by validate, located at the technique,
/// before any model call; a run-time overflow names the pipeline, the technique and the model.
/// </summary>
public sealed class ContextCheckTests
{
    [Theory]
    [InlineData("generate-critique-rank-fuse.yaml", "'critique' (L2.critique)", "critique")]
    [InlineData("refine-loop.yaml", "'refine' (L2.refine)", "refine:")]
    [InlineData("best-of-n-verified.yaml", "'verify' (L2.verify)", "verify:")]
    public async Task Validate_reports_a_prompt_longer_than_the_default_models_context_at_the_technique(string file, string node, string layerText)
    {
        var path = Repo.Path("pipelines", file);
        var clock = Stopwatch.StartNew();
        var result = await Cli.InProcess("validate", path);
        Assert.Equal(2, result.ExitCode);
        var line = File.ReadLines(path).Select((text, i) => (text, number: i + 1)).First(l => l.text.TrimStart().StartsWith("- " + layerText, StringComparison.Ordinal)).number;
        Assert.Contains($"{path}:{line}:5: error CMP605: {node} prompts model 'default'", result.Error, StringComparison.Ordinal);
        Assert.Contains("more than the model's context of 96", result.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");

        var run = await Cli.InProcess("run", path, "--input", "What is 47+385?", "--json");
        Assert.Equal(2, run.ExitCode); // refused before any call: nothing ran, nothing printed on stdout
        Assert.Equal("", run.Out);
        Assert.Contains("CMP605", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_models_that_declare_no_context_the_same_pipelines_validate()
    {
        var result = await Cli.InProcess("validate", Repo.Path("pipelines", "refine-loop.yaml"), "--models", Repo.ScriptedModels);
        Assert.True(result.ExitCode == 0, result.All);
    }

    [Fact]
    public async Task Pipelines_that_fit_the_default_model_validate_without_a_context_warning()
    {
        foreach (var file in new[] { "arith-vote.yaml", "arith-verify.yaml", "self-consistency.yaml", "single-call.yaml" })
        {
            var result = await Cli.InProcess("validate", Repo.Path("pipelines", file));
            Assert.True(result.ExitCode == 0, result.All);
            Assert.DoesNotContain("CMP60", result.All, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Rank_is_measured_by_the_template_its_method_renders()
    {
        var dir = Directory.CreateTempSubdirectory("compose-context-rank-").FullName;
        var path = Path.Combine(dir, "p.yaml");
        const string Layers = "compose: 1\nname: rank\ndefaults: { model: default, max_tokens: 8 }\nlayers:\n  - generate: { samples: 3 }\n";

        // A short pairwise template fits the shipped model's 96 tokens; the default listwise template it never renders does not.
        await File.WriteAllTextAsync(path, Layers + "  - rank: { method: pairwise, keep: 1, prompts: { rank_pairwise: '{{ a.text }} or {{ b.text }}' } }\n");
        var pairwise = await Cli.InProcess("validate", path);
        Assert.True(pairwise.ExitCode == 0, pairwise.All);

        await File.WriteAllTextAsync(path, Layers + "  - rank: { method: listwise, keep: 1, prompts: { rank_pairwise: '{{ a.text }} or {{ b.text }}' } }\n");
        var listwise = await Cli.InProcess("validate", path);
        Assert.Equal(2, listwise.ExitCode);
        Assert.Contains("its template 'rank_listwise'", listwise.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shown_candidate_that_can_outgrow_the_context_is_a_warning()
    {
        var dir = Directory.CreateTempSubdirectory("compose-context-").FullName;
        var path = Path.Combine(dir, "p.yaml");
        await File.WriteAllTextAsync(path, "compose: 1\nname: grow\ndefaults: { model: default, max_tokens: 200 }\nlayers:\n  - generate: { samples: 4 }\n  - verify: { model: default, on_none: keep_all, prompt: 'Is {{ candidate.text }} right?' }\n");
        var result = await Cli.InProcess("validate", path);
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains($"{path}:6:5: warning CMP606: 'verify' (L2.verify) may outgrow the context of model 'default'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_time_overflow_names_the_pipeline_location_the_technique_and_the_model()
    {
        var path = Repo.Path("pipelines", "arith-single.yaml");
        var result = await Cli.InProcess("run", path, "--input", "What is " + string.Join("+", Enumerable.Repeat("1", 60)) + "?");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{path}:", result.Error, StringComparison.Ordinal);
        Assert.Contains("'generate' (L1.generate, generate) calling model 'default': error ONNX011", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("bin/", result.Error, StringComparison.Ordinal);
        Assert.False(result.ShowsStackTrace, result.All);
    }
}
