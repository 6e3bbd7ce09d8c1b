using Compose.Language;
using Compose.Techniques;

namespace Compose.Tests.Language;

public sealed class PipelineReaderTests
{
    private static string Valid(string name) => Path.Combine(TestFiles.Output("Valid"), name);

    [Fact]
    public void Reads_the_documented_example_into_a_typed_spec()
    {
        var result = PipelineReader.ReadFile(Valid("rank-then-fuse.yaml"));

        Assert.Empty(result.Diagnostics);
        var spec = Assert.IsType<PipelineSpec>(result.Spec);
        Assert.Equal("rank-then-fuse", spec.Name);
        Assert.Equal(["local", "gpt"], spec.Models.Select(m => m.Name));
        var gpt = spec.FindModel("gpt")!;
        Assert.Equal("fake", gpt.Provider);
        Assert.Equal(4, gpt.Concurrency);
        Assert.Equal("gpt-4o-mini", gpt.GetString("model"));
        Assert.Null(gpt.Options["provider"]);
        Assert.Null(gpt.Options["concurrency"]);
        Assert.Equal(new SourceLocation(Valid("rank-then-fuse.yaml"), 7, 26), gpt.Options.Entries[0].KeyLocation);
        Assert.Equal("gpt", spec.Defaults.Model);
        Assert.Equal(0.9, spec.Defaults.TopP);
        Assert.Equal(["\n\n"], spec.Defaults.Stop.AsEnumerable());
        Assert.Equal(22, spec.Budget.MaxCalls);
        Assert.Equal(0.6m, spec.Budget.Prices["gpt"].OutputPer1K);
        Assert.Equal(4, spec.Layers.Length);
        var generate = Assert.IsType<GenerateSpec>(spec.Layers[0].Techniques[0]);
        Assert.Equal(["local", "gpt"], generate.Models.Select(m => m.Name));
        Assert.Equal(5, generate.Samples);
        Assert.Equal(new SourceLocation(Valid("rank-then-fuse.yaml"), 11, 5), generate.Location);
        var rank = Assert.IsType<RankSpec>(spec.Layers[2].Techniques[0]);
        Assert.True(rank.UseCritiques);
        Assert.Equal(RankMethod.Listwise, rank.Method);
    }

    [Fact]
    public void Reads_every_technique_option_anchors_and_merge_keys()
    {
        var result = PipelineReader.ReadFile(Valid("everything.yaml"));

        Assert.Empty(result.Diagnostics);
        var spec = result.Spec!;
        var judge = spec.FindModel("judge")!;
        Assert.Equal("fake", judge.Provider);
        Assert.Equal(1, judge.Concurrency);
        Assert.Equal("http://localhost:1234", judge.GetString("endpoint"));
        Assert.IsType<SpecSequence>(Assert.IsType<SpecMapping>(judge.Options["options"])["retries"]);
        Assert.Equal(["END"], spec.Defaults.Stop.AsEnumerable());

        var techniques = spec.Layers.SelectMany(l => l.Techniques).ToList();
        var generate = Assert.IsType<GenerateSpec>(techniques[0]);
        Assert.Equal("propose", generate.Id);
        Assert.Equal(1.0, generate.Temperature);
        Assert.Equal("Solve: {{ question }}", generate.Prompts["generate"].Inline);
        Assert.Equal(2, spec.Layers[1].Techniques.Length);
        var rank = Assert.IsType<RankSpec>(techniques[1]);
        Assert.Equal(RankMethod.Pairwise, rank.Method);
        Assert.Equal("Which is better?", rank.Prompts["rank_pairwise"].Inline);
        var vote = Assert.IsType<VoteSpec>(techniques[2]);
        Assert.Equal(@"answer: (\d+)", vote.Extract);
        Assert.Equal(TieBreak.Shortest, vote.TieBreak);
        Assert.Equal(new CheckSpec(CheckKind.Regex, @"\d+", null, techniques[3].Location with { Line = 21, Column = 24 }), ((VerifySpec)techniques[3]).Check);
        Assert.Equal(OnNonePass.KeepBest, ((VerifySpec)techniques[3]).OnNone);
        Assert.Equal("42", ((VerifySpec)techniques[4]).Check!.Expected);
        Assert.Equal(CheckKind.HasAnswer, ((VerifySpec)techniques[5]).Check!.Kind);
        var refine = Assert.IsType<RefineSpec>(techniques[6]);
        Assert.Equal((2, RefineStop.Verified, "judge", 128), (refine.Rounds, refine.Until!.Value, refine.Verifier!.Name, refine.MaxTokens!.Value));
        Assert.Equal(RefineStop.Unchanged, ((RefineSpec)techniques[7]).Until);
        var tests = Assert.IsType<UnitTestsSpec>(techniques[8]);
        Assert.Equal((3, 2), (tests.Count, tests.Keep));
        Assert.Equal("prompts/critique.sbn", techniques[^1].Prompts["critique"].File);
        Assert.Equal(new OutputSpec(SelectionKind.Vote, @"(\d+)", TieBreak.Score, spec.Output.Location), spec.Output);
    }

    [Fact]
    public void Reports_all_problems_of_a_file_in_one_pass_and_keeps_a_best_effort_spec()
    {
        const string yaml = """
            compose: 1
            name: many
            models:
              gpt: { provider: fake, concurrency: none }
              gpt: { provider: fake }
            defaults: { temprature: 0.5, max_tokens: 0 }
            layers:
              - generate: { samples: 1001, modle: gpt }
              - rnak: {}
              - vote: { tie_break: longest }
            output: best
            """;

        var result = PipelineReader.Read(yaml, "many.yaml");

        Assert.Equal(
            [
                "CMP201 4:39", "CMP202 5:3", "CMP203 6:13", "CMP205 6:42", "CMP205 8:26", "CMP203 8:32",
                "CMP211 9:5", "CMP207 10:24", "CMP207 11:9",
            ],
            result.Diagnostics.Select(d => $"{d.Code} {d.Location.Line}:{d.Location.Column}"));
        Assert.NotNull(result.Spec);
        Assert.Equal("many", result.Spec!.Name);
        Assert.Single(result.Spec.Models);
        Assert.Equal(2, result.Spec.Layers.Length);
        Assert.False(result.LayersIntact);
    }

    [Theory]
    [InlineData("layers:\n  - generate: { smaples: 2 }", "did you mean 'samples'?")]
    [InlineData("layers:\n  - fsue: {}", "did you mean 'fuse'?")]
    [InlineData("layers:\n  - generate: {}\n  - rank: { method: pariwise }", "did you mean 'pairwise'?")]
    [InlineData("layers:\n  - generate: {}\nouptut: first", "did you mean 'output'?")]
    [InlineData("layers:\n  - generate: {}\n  - refine: { until: verifed, check: { has_answer: true } }", "did you mean 'verified'?")]
    [InlineData("layers:\n  - generate: {}\n  - verify: { check: { regx: 'a' } }", "did you mean 'regex'?")]
    [InlineData("layers:\n  - generate: { prompts: { generte: 'x' } }", "did you mean 'generate'?")]
    public void Suggests_the_closest_valid_word(string body, string hint)
    {
        var result = PipelineReader.Read($"compose: 1\nname: x\n{body}\n", "x.yaml");

        Assert.Contains(result.Diagnostics, d => d.Hint == hint);
    }

    [Fact]
    public void Unknown_key_without_close_match_lists_the_valid_keys()
    {
        var result = PipelineReader.Read("compose: 1\nname: x\nlayers:\n  - critique: { zzzzzz: 1 }\n", "x.yaml");

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("valid keys: id, temperature, max_tokens, prompt, prompts, model, mode", diagnostic.Hint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n# only a comment\n")]
    [InlineData("- a\n- b\n")]
    [InlineData("just text")]
    [InlineData("compose: 1\nname: x\nlayers: { generate: {} }\n")]
    [InlineData("{{{{")]
    [InlineData("key: 'unterminated\n")]
    [InlineData("\t- tab")]
    [InlineData("a: &x [*x]\n")]
    [InlineData("? [complex, key]\n: value\n")]
    public void Odd_input_gives_diagnostics_never_exceptions(string yaml)
    {
        var result = PipelineReader.Read(yaml, "odd.yaml");

        Assert.Contains(result.Diagnostics, d => d.IsError);
        Assert.DoesNotContain(result.Diagnostics, d => d.Code == DiagnosticCodes.InternalError);
    }

    [Fact]
    public void Deep_nesting_is_reported_not_overflowed()
    {
        var yaml = "compose: 1\nname: x\nmodels:\n  m: { provider: fake, o: " + new string('[', 20_000) + new string(']', 20_000) + " }\n";

        var result = PipelineReader.Read(yaml, "deep.yaml");

        Assert.Contains(result.Diagnostics, d => d.Code is DiagnosticCodes.NestingTooDeep or DiagnosticCodes.YamlSyntax);
    }

    [Fact]
    public void Null_arguments_are_read_as_empty_input()
    {
        var result = PipelineReader.Read(null!, null!);

        Assert.Equal(DiagnosticCodes.EmptyFile, Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void Missing_file_is_a_diagnostic()
    {
        var result = PipelineReader.ReadFile(Path.Combine(TestFiles.Output("Valid"), "no-such-file.yaml"));

        Assert.Null(result.Spec);
        Assert.Equal(DiagnosticCodes.FileUnreadable, Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void Yaml_positions_are_one_based_line_and_column()
    {
        var result = PipelineReader.Read("compose: 1\nname: x\nlayers:\n    - generate:   { samples: x }\n", "p.yaml");

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(new SourceLocation("p.yaml", 4, 30), diagnostic.Location);
        Assert.Equal("p.yaml:4:30: error CMP201: samples must be an integer, got 'x'", diagnostic.ToString());
    }
}
