using System.Text.Json;
using System.Text.RegularExpressions;
using Compose.Compilation;
using Compose.Import;
using Compose.Language;
using Compose.Runtime;

namespace Compose.Cli.Tests;

/// <summary>
/// <c>compose import archon</c> and <see cref="ArchonImporter"/>: the Archon files of ../shared/archon-configs import
/// and validate with Archon's call counts as their bound, problems are located in the JSON, and imported pipelines
/// run through the CLI making the calls docs/archon.md says Archon makes.
/// </summary>
public sealed class ArchonImportTests
{
    private const string SharedFolder = "archon-configs";

    /// <summary>../shared/archon-configs, or skips (fails when COMPOSE_REQUIRE_SHARED=1) when it is absent.</summary>
    private static string Configs()
    {
        var folder = Path.GetFullPath(Path.Combine(Repo.Root, "..", "shared", SharedFolder));
        if (!Directory.Exists(folder))
        {
            Assert.False(Environment.GetEnvironmentVariable("COMPOSE_REQUIRE_SHARED") == "1", $"COMPOSE_REQUIRE_SHARED=1 but {folder} is missing");
            Skip.If(true, $"{folder} is not available (the Archon files live outside the repository); set COMPOSE_REQUIRE_SHARED=1 to fail instead");
        }

        return folder;
    }

    private static List<string> AllFiles(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    [SkippableFact]
    public void Every_valid_Archon_file_imports_validates_and_is_bounded_by_Archons_calls()
    {
        var files = AllFiles(Configs());
        Assert.Equal(93, files.Count);
        var imported = 0;
        var sameCalls = 0;
        foreach (var file in files)
        {
            var result = ArchonImporter.Import(file);
            if (!result.Success)
            {
                Assert.All(result.Diagnostics.Where(d => d.IsError), d => Assert.Equal(ArchonDiagnosticCodes.InvalidJson, d.Code));
                continue;
            }

            imported++;
            Assert.StartsWith($"# Imported by `compose import archon` from the Archon architecture {file}\n", result.PipelineYaml, StringComparison.Ordinal);
            Assert.Contains("\noutput: first\n", result.PipelineYaml, StringComparison.Ordinal);
            var compiled = PipelineCompiler.CompileText(result.PipelineYaml!, Path.ChangeExtension(file, ".yaml"), StandardProviders.Catalog);
            Assert.True(compiled.Graph is not null && !compiled.Diagnostics.Any(d => d.IsError), $"{file}: {string.Join("\n", compiled.Diagnostics)}");
            Assert.Equal(result.PipelineCalls, compiled.Graph!.Bound.Calls);
            if (result.ArchonCalls == result.PipelineCalls)
            {
                sameCalls++;
            }
            else
            {
                // Every difference is explained at its place (PairRM, a dropped unit_test_generator or one-candidate ranker).
                Assert.Contains(result.Diagnostics, d => d.Code == ArchonDiagnosticCodes.NotRepresentable && d.Location.File == file);
            }
        }

        Assert.Equal(91, imported);
        Assert.Equal(85, sameCalls);
    }

    [SkippableTheory]
    [InlineData("archon-1-110bFuser-1-110bRanker5-8-70BM.json", 71, 40)]
    [InlineData("archon-1-110bFuser-1-110bRanker3-8-70BM3S.json", 26, 40)]
    public void The_invalid_json_files_get_the_place_the_parser_stopped(string name, int line, int column)
    {
        var file = Path.Combine(Configs(), name);
        var result = ArchonImporter.Import(file);

        Assert.Null(result.PipelineYaml);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(ArchonDiagnosticCodes.InvalidJson, error.Code);
        Assert.True(error.IsError);
        Assert.Equal(new SourceLocation(file, line, column), error.Location);
        Assert.Contains("'t' is invalid after a value", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_length_contorl_typo_is_a_warning_with_did_you_mean_at_the_key()
    {
        var typoFiles = AllFiles(Configs()).Where(f => File.ReadAllText(f).Contains("\"length_contorl\"", StringComparison.Ordinal)).ToList();
        // The issue counts 16: they are 16 fusers in 2 files (MoA_three_proposer_layers_..._length_control.json, shipped twice).
        Assert.Equal(2, typoFiles.Count);
        var total = 0;
        foreach (var file in typoFiles)
        {
            var lines = File.ReadAllLines(file);
            var result = ArchonImporter.Import(file);
            Assert.True(result.Success, file);
            var warnings = result.Diagnostics.Where(d => d.Code == ArchonDiagnosticCodes.UnknownOption).ToList();
            Assert.NotEmpty(warnings);
            Assert.All(warnings, w =>
            {
                Assert.False(w.IsError);
                Assert.Equal("did you mean 'length_control'?", w.Hint);
                Assert.Contains("Archon ignores it silently (the fuser ran without 'length_control')", w.Message, StringComparison.Ordinal);
                Assert.Equal("\"length_contorl\"", lines[w.Location.Line - 1].Substring(w.Location.Column - 1, "\"length_contorl\"".Length));
            });
            Assert.Equal(lines.Count(l => l.Contains("\"length_contorl\"", StringComparison.Ordinal)), warnings.Count);
            total += warnings.Count;

            // As in Archon, the misspelt option changes nothing: no length sentence in the fuse prompt.
            Assert.DoesNotContain("as long as the longest response", result.PipelineYaml, StringComparison.Ordinal);
        }

        Assert.Equal(16, total);
    }

    [Fact]
    public void Problems_are_located_in_the_json_with_codes_and_hints()
    {
        const string Json = """
            {
              "name": "bad",
              "layers": [
                [
                  {"type": "genrator", "model": "m", "model_type": "Together_API", "temperature": 0.7, "max_tokens": 10, "samples": 1},
                  {"type": "generator", "model": "m", "model_type": "Togther_API", "temperature": 3, "max_tokens": 10, "samples": 1},
                  {"type": "generator", "model": "m", "temperature": 0.7, "max_tokens": 10, "samples": 1, "top_k": 1}
                ]
              ]
            }
            """;
        var result = ArchonImporter.ImportText(Json, "bad.json");

        Assert.Null(result.PipelineYaml);
        Assert.Collection(
            result.Diagnostics,
            d => (d.Code, d.Location.Line, d.Location.Column, d.Hint).ShouldBe((ArchonDiagnosticCodes.UnknownComponent, 5, 16, "did you mean 'generator'?")),
            d => (d.Code, d.Location.Line, d.Location.Column, d.Hint).ShouldBe((ArchonDiagnosticCodes.UnknownModelType, 6, 57, "did you mean 'Together_API'?")),
            d => (d.Code, d.Location.Line, d.Location.Column).ShouldBe((ArchonDiagnosticCodes.BadValue, 6, 87)),
            d => (d.Code, d.Location.Line, d.Location.Column).ShouldBe((ArchonDiagnosticCodes.MissingOption, 7, 7)),
            d => (d.Code, d.Location.Line, d.Location.Column).ShouldBe((ArchonDiagnosticCodes.IgnoredOption, 7, 95)));
    }

    [Fact]
    public void Empty_and_broken_text_are_located_errors()
    {
        var empty = ArchonImporter.ImportText("", "e.json");
        Assert.Equal((ArchonDiagnosticCodes.InvalidJson, 1, 1), (empty.Diagnostics[0].Code, empty.Diagnostics[0].Location.Line, empty.Diagnostics[0].Location.Column));

        var list = ArchonImporter.ImportText("\n  [1, 2]", "l.json");
        Assert.Equal((ArchonDiagnosticCodes.NotAnArchitecture, 2, 3), (list.Diagnostics[0].Code, list.Diagnostics[0].Location.Line, list.Diagnostics[0].Location.Column));

        var custom = ArchonImporter.ImportText("""{"name": "c", "custom": true, "layers": [[{"type": "generator", "model": "m", "model_type": "vLLM", "temperature": 0, "max_tokens": 5}]]}""", "c.json");
        Assert.Contains(custom.Diagnostics, d => d.Code == ArchonDiagnosticCodes.CannotImport && d.IsError);
    }

    [Fact]
    public void Critique_all_splits_a_reply_at_the_identifiers()
    {
        Assert.Equal(["Strengths: a. Weaknesses: b.", "Strengths: c. Weaknesses: d."], Compose.Techniques.Critique.Split("[1] Strengths: a. Weaknesses: b.\n\n[2] Strengths: c. Weaknesses: d.", 2)!);
        Assert.Null(Compose.Techniques.Critique.Split("[1] only one", 2));
        Assert.Null(Compose.Techniques.Critique.Split("[2] backwards [1] order", 2));
    }

    [Fact]
    public async Task The_cli_mirrors_folders_and_replaces_a_file_only_with_force()
    {
        var root = Directory.CreateTempSubdirectory("archon-import-").FullName;
        try
        {
            var source = Path.Combine(root, "in");
            Directory.CreateDirectory(Path.Combine(source, "sub"));
            const string Valid = """{"name": "two", "layers": [[{"type": "generator", "model": "org/m", "model_type": "OpenAI_API", "temperature": 0.7, "max_tokens": 64, "samples": 2}], [{"type": "fuser", "model": "org/m", "model_type": "OpenAI_API", "temperature": 0.7, "max_tokens": 64, "samples": 1}]]}""";
            await File.WriteAllTextAsync(Path.Combine(source, "a.json"), Valid);
            await File.WriteAllTextAsync(Path.Combine(source, "sub", "b.json"), Valid);
            await File.WriteAllTextAsync(Path.Combine(source, "sub", "broken.json"), "{\"name\": \"x\",\n  \"layers\": [}");
            var output = Path.Combine(root, "out");

            var first = await Cli.InProcess("import", "archon", source, "--out", output);
            Assert.Equal(ExitCodes.BadInput, first.ExitCode);
            Assert.True(File.Exists(Path.Combine(output, "a.yaml")));
            Assert.True(File.Exists(Path.Combine(output, "sub", "b.yaml")));
            Assert.False(File.Exists(Path.Combine(output, "sub", "broken.yaml")));
            Assert.Contains($"{Path.Combine(source, "sub", "broken.json")}:2:14: error CMP940: invalid JSON", first.Error, StringComparison.Ordinal);
            Assert.Contains("imported 2 of 3 files; 0 warnings; 1 failed", first.Out, StringComparison.Ordinal);
            Assert.Contains("3 calls per question, as in Archon", first.Out, StringComparison.Ordinal);

            await File.WriteAllTextAsync(Path.Combine(output, "a.yaml"), "mine");
            var again = await Cli.InProcess("import", "archon", Path.Combine(source, "a.json"), "--out", output);
            Assert.Equal(ExitCodes.BadInput, again.ExitCode);
            Assert.Contains("already exists and was left alone; use --force to replace it", again.Error, StringComparison.Ordinal);
            Assert.Equal("mine", await File.ReadAllTextAsync(Path.Combine(output, "a.yaml")));

            var forced = await Cli.InProcess("import", "archon", Path.Combine(source, "a.json"), "--out", output, "--force");
            Assert.Equal(ExitCodes.Success, forced.ExitCode);
            Assert.Contains("(replaced)", forced.Out, StringComparison.Ordinal);
            Assert.StartsWith("# Imported by `compose import archon` from the Archon architecture", await File.ReadAllTextAsync(Path.Combine(output, "a.yaml")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Ten shapes; the count is the one docs/archon.md gives for Archon (generators + per-component calls).</summary>
    public static TheoryData<string, int> RunShapes() => new()
    {
        { "archon-gpt-4o-sample_10_then_fuse_with_gpt-4o.json", 10 + 1 },                                    // samples, one fuser
        { "MoA.json", 6 + 6 + 6 + 1 },                                                                        // Mixture-of-Agents: fusers side by side
        { "quickstart-advanced.json", 10 + 1 + 10 + 1 + 1 },                                                  // critic, 10 fusers, ranker, fuser
        { "archon-70Bx8_1_samples_then_verifier.json", 8 + (2 * 8) },                                         // verifier: 2 per candidate
        { "archon-gpt-4o-sample_5_then_unit_test_generation_5_with_gpt-4o_then_unit_test_evaluation_with_gpt-4o_first_pass.json", 1 + 5 + 5 }, // unit tests, first_pass
        { "archon-code_70Bx6_1_samples_then_unit_test_generation_with_llama_3.1_405B_then_unit_test_evaluation_with_llama_3.1_70B_then_pass_top_cand.json", 1 + 6 + 6 },
        { "archon-70Bx8_1_samples_then_rank_top3_then_critic_then_fuser.json", 8 + 1 + 1 + 1 },               // rank, critic, fuser
        { "archon-70Bx8_1_samples_then_70Bx6_3_samples_then_fuser_with_Qwen2_72B.json", 8 + (4 * 3) + 2 + 1 }, // fusers with 3 samples
        { "archon-code_70Bx6_1_samples_then_rank_top1_with_llama_3.1_70B.json", 6 + 1 },                      // ends with a ranker
        { "best_performing_configs/mix_eval_hard/archon-70Bx8_1_samples_3_layers_then_critic_then_rank_top5_then_critic_then_verifier_then_fuser_with_Qwen2_72B-all_one_sample.json", 0 },
    };

    [SkippableTheory]
    [MemberData(nameof(RunShapes))]
    public async Task Imported_pipelines_run_through_the_cli_making_Archons_calls(string name, int archonCalls)
    {
        var file = Path.Combine(Configs(), name);
        var imported = ArchonImporter.Import(file);
        Assert.True(imported.Success, string.Join("\n", imported.Diagnostics));
        if (archonCalls == 0)
        {
            archonCalls = imported.ArchonCalls!.Value; // the ten-layer one: counted by the importer, checked against the run
        }

        Assert.Equal(archonCalls, imported.ArchonCalls);
        Assert.Equal(archonCalls, imported.PipelineCalls);

        var folder = Directory.CreateTempSubdirectory("archon-run-").FullName;
        try
        {
            var pipeline = Path.Combine(folder, "pipeline.yaml");
            await File.WriteAllTextAsync(pipeline, imported.PipelineYaml);
            var names = Regex.Matches(imported.PipelineYaml!, @"(?m)^  ([A-Za-z][A-Za-z0-9_.-]*): \{ provider: openai").Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(names);
            var models = Path.Combine(folder, "models.yaml");
            // One reply that every technique reads: a test line, a test result, a verdict, a ranking and critique sections.
            const string Reply = "- The answer is 42.\\n1: PASS\\n[1] Strengths: short. Weaknesses: none.\\n[2] Strengths: ok. Weaknesses: terse.\\nRanking: [1] > [2]\\nVerdict: yes";
            await File.WriteAllTextAsync(models, "models:\n" + string.Concat(names.Select(n => $"  {n}: {{ provider: scripted, default: \"{Reply}\" }}\n")));

            var run = await Cli.InProcess("run", pipeline, "--models", models, "--input", "What is 6 times 7?", "--json");

            Assert.True(run.ExitCode == 0, run.Out + run.Error);
            using var json = JsonDocument.Parse(run.Out);
            Assert.Equal(archonCalls, json.RootElement.GetProperty("usage").GetProperty("calls").GetInt32());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

internal static class TupleAssert
{
    public static void ShouldBe<T>(this T actual, T expected) => Assert.Equal(expected, actual);
}
