using System.Collections.Immutable;
using System.Text.Json;
using Compose.Compilation;
using Compose.Examples;
using Compose.Language;
using Compose.Models;
using Compose.Runtime;
using Compose.Techniques;

namespace Compose.Cli.Tests;

/// <summary>
/// A technique of one's own, the example of examples/CustomTechnique (keyword_filter): registered on a catalog it is
/// read, checked, bounded, graphed, run, traced and budgeted like a built-in; loaded with <c>--techniques</c> the CLI
/// validates, graphs and runs the example. Also what the core does with a technique that needs a model capability
/// or fails while reading its options.
/// </summary>
public sealed class CustomTechniqueTests : IDisposable
{
    private const string Question = "What is the capital of Australia?";
    private const string Sydney = "Sydney is the capital of Australia.";
    private const string Canberra = "Canberra is the capital of Australia.";
    private const string Territory = "The capital of Australia is Canberra, in the Australian Capital Territory.";
    private const string Fused = "Canberra is the capital of Australia, in the Australian Capital Territory.";

    /// <summary>The three drafts of the example, one per model, in this order: Sydney, Canberra, Territory.</summary>
    private const string Drafts = """
        compose: 1
        name: kwf
        models:
          proposer1: { provider: scripted, rules: [ { when: "capital of Australia", reply: "Sydney is the capital of Australia." } ] }
          proposer2: { provider: scripted, rules: [ { when: "capital of Australia", reply: "Canberra is the capital of Australia." } ] }
          proposer3: { provider: scripted, rules: [ { when: "capital of Australia", reply: "The capital of Australia is Canberra, in the Australian Capital Territory." } ] }
        layers:
          - generate: { models: [proposer1, proposer2, proposer3] }

        """;

    private static readonly ModelProviderCatalog Registered =
        StandardProviders.Catalog.WithTechniques(TechniqueCatalog.BuiltIn.With(new KeywordFilterDefinition()));

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("compose-kwf-");

    private static string Example => Repo.Path("examples", "CustomTechnique", "pipeline.yaml");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir.FullName, $"p{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>The drafts, then <paramref name="filter"/> as layer 2 (and nothing after it).</summary>
    private string Filtered(string filter) => Write(Drafts + "  - keyword_filter: " + filter + "\n");

    private static ImmutableArray<Diagnostic> Diagnose(string yaml, ModelProviderCatalog? catalog = null) =>
        PipelineCompiler.CompileText(yaml, "kwf.yaml", catalog ?? Registered).Diagnostics;

    private static async Task<RunResult> Run(string path, RunOptions? options = null)
    {
        var (pipeline, diagnostics) = PipelineFactory.Build(path, Registered);
        Assert.True(pipeline is not null, string.Join("\n", diagnostics));
        using (pipeline)
        {
            return await pipeline.RunAsync(Question, options ?? new RunOptions { Seed = 1 });
        }
    }

    /// <summary>The texts a layer passed on, in order.</summary>
    private static string[] Texts(RunResult result, int layer)
    {
        var texts = result.AllCandidates.ToDictionary(c => c.Id, c => c.Text);
        return [.. result.LayerOutputs[layer].Select(id => texts[id])];
    }

    // ---- Registered on a catalog ----

    [Fact]
    public void Registered_the_example_validates_and_compiles_with_no_call_for_the_filter()
    {
        var compiled = PipelineFactory.Compile(Example, Registered);

        Assert.True(compiled.Success, string.Join("\n", compiled.Diagnostics));
        Assert.Empty(compiled.Diagnostics);
        var graph = compiled.Graph!;
        var filter = Assert.Single(graph.Nodes, n => n.Id == "L2.keyword_filter");
        Assert.Equal(new CostBound(0, 0, 0), filter.Bound);
        Assert.Empty(filter.ResolvedModels);
        Assert.Equal((3, 3), (filter.MaxCandidatesIn, filter.MaxCandidatesOut));
        Assert.Equal(4, graph.Bound.Calls);
        var row = GraphRenderer.Text(graph).Split('\n').Single(l => l.Contains("L2.keyword_filter", StringComparison.Ordinal));
        Assert.Matches(@"^2\s+L2\.keyword_filter\s+keyword_filter\s+-\s+3→3\s+0\s+0\s+0$", row);
        Assert.Contains("L2.keyword_filter", GraphRenderer.Mermaid(graph), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registered_the_example_runs_keeps_exactly_the_drafts_with_the_keywords_and_is_traced()
    {
        using var trace = new StringWriter();
        using var sink = new JsonlTraceSink(trace);

        var result = await Run(Example, new RunOptions { Seed = 1, Trace = sink });

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal([Sydney, Canberra, Territory], Texts(result, 0));
        Assert.Equal([Canberra, Territory], Texts(result, 1));
        Assert.Equal(Fused, result.Answer);
        Assert.Equal(4, result.Usage.Calls);
        var events = trace.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var filtered = events
            .Where(e => e.GetProperty("event").GetString() == "candidate" && e.GetProperty("node").GetString() == "L2.keyword_filter")
            .Select(e => e.GetProperty("candidate").GetProperty("text").GetString())
            .ToList();
        Assert.Equal([Canberra, Territory], filtered);
        Assert.DoesNotContain(events, e => e.GetProperty("event").GetString() == "call" && e.GetProperty("node").GetString() == "L2.keyword_filter");
        Assert.DoesNotContain(events, e => e.GetProperty("event").GetString() == "warning");
    }

    [Fact]
    public async Task Mode_any_keeps_a_draft_with_one_of_the_keywords()
    {
        var all = await Run(Filtered("{ keywords: [sydney, territory] }"));
        var any = await Run(Filtered("{ keywords: [sydney, territory], mode: any }"));

        Assert.Equal([Sydney, Canberra, Territory], Texts(all, 1)); // none mentions both: keep_all passes every draft
        Assert.Equal([Sydney, Territory], Texts(any, 1));
        Assert.Equal(Sydney, any.Answer);
    }

    [Fact]
    public async Task When_no_draft_mentions_the_keywords_keep_all_passes_them_all_with_a_traced_warning_and_fail_fails_the_question()
    {
        using var trace = new StringWriter();
        using var sink = new JsonlTraceSink(trace);
        var kept = await Run(Filtered("{ keywords: [Perth] }"), new RunOptions { Trace = sink });
        var failed = await Run(Filtered("{ keywords: [Perth], on_none: fail }"));

        Assert.Equal([Sydney, Canberra, Territory], Texts(kept, 1));
        Assert.Contains("\"message\":\"L2.keyword_filter: no candidate mentions all of 'Perth'; all 3 kept (on_none: keep_all)\"", trace.ToString(), StringComparison.Ordinal);
        Assert.False(failed.Succeeded);
        Assert.Null(failed.Answer);
        Assert.Equal("L2.keyword_filter: no candidate mentions all of 'Perth' (3 checked) and on_none is 'fail'", failed.Error);
    }

    [Fact]
    public async Task Its_bound_counts_against_the_budget_like_a_built_in()
    {
        // Static: the filter adds no call, so the example's bound is 3 + 0 + 1; max_calls 3 is refused at compile time.
        var yaml = File.ReadAllText(Example).Replace("budget: { max_calls: 4 }", "budget: { max_calls: 3 }", StringComparison.Ordinal);
        var over = Assert.Single(Diagnose(yaml), d => d.IsError);
        Assert.Equal(DiagnosticCodes.CallBudgetExceeded, over.Code);
        Assert.Contains("up to 4 calls", over.Message, StringComparison.Ordinal);

        // At run time: with 3 calls the fusion cannot run; the best so far is the filter's first survivor.
        var stopped = await Run(Example, new RunOptions { Seed = 1, Budget = new BudgetSpec { MaxCalls = 3 } });
        Assert.True(stopped.BudgetExhausted);
        Assert.Equal(3, stopped.Usage.Calls);
        Assert.Equal(Canberra, stopped.Answer);
    }

    [Fact]
    public async Task Seeds_reach_the_models_before_it_and_the_filter_adds_no_randomness()
    {
        var path = Write("""
            compose: 1
            name: kwf-seeds
            models:
              m: { provider: scripted, rules: [ { when: "capital", replies: ["Canberra.", "Sydney.", "It is Canberra.", "Melbourne.", "Perth.", "Canberra, ACT."] } ] }
            defaults: { model: m }
            layers:
              - generate: { samples: 6 }
              - keyword_filter: { keywords: [canberra] }
            """);

        var runs = new List<(string[] Drafts, string[] Kept)>();
        foreach (var seed in new long[] { 3, 3, 4 })
        {
            var result = await Run(path, new RunOptions { Seed = seed });
            runs.Add((Texts(result, 0), Texts(result, 1)));
        }

        Assert.Equal(runs[0].Drafts, runs[1].Drafts);
        Assert.Equal(runs[0].Kept, runs[1].Kept);
        Assert.NotEqual(runs[0].Drafts, runs[2].Drafts);
        Assert.All(runs, r =>
        {
            var mentions = r.Drafts.Where(d => d.Contains("canberra", StringComparison.OrdinalIgnoreCase)).ToArray();
            Assert.Equal(mentions.Length > 0 ? mentions : r.Drafts, r.Kept);
        });
    }

    [Theory]
    [InlineData("{ keywords: [Canberra], mode: sometimes }", 9, 51, "CMP207", "valid values: all, any")]
    [InlineData("{ keywords: [Canberra], mode: anny }", 9, 51, "CMP207", "did you mean 'any'?")]
    [InlineData("{ keywords: [Canberra], on_none: keep_al }", 9, 54, "CMP207", "did you mean 'keep_all'?")]
    [InlineData("{ keywords: [Canberra], mod: any }", 9, 45, "CMP203", "did you mean 'mode'?")]
    [InlineData("{ keywords: Canberra }", 9, 33, "CMP201", "write 'keywords: [Canberra]'")]
    [InlineData("{ keywords: [Canberra, { a: b }] }", 9, 44, "CMP201", null)]
    [InlineData("{ mode: any }", 9, 5, KeywordFilterDefinition.NoKeywords, "add 'keywords: [WORD, ...]'")]
    [InlineData("{ keywords: [] }", 9, 33, KeywordFilterDefinition.NoKeywords, "name at least one: 'keywords: [WORD, ...]'")]
    [InlineData("{ keywords: [Canberra, \" \"] }", 9, 33, KeywordFilterDefinition.BlankKeyword, "remove the empty entry")]
    public void A_bad_option_is_a_located_error_with_a_hint(string filter, int line, int column, string code, string? hint)
    {
        var diagnostics = Diagnose(Drafts + "  - keyword_filter: " + filter + "\n");

        var error = Assert.Single(diagnostics, d => d.IsError);
        Assert.Equal(code, error.Code);
        Assert.Equal(new SourceLocation("kwf.yaml", line, column), error.Location);
        if (hint is not null)
        {
            Assert.Equal(hint, error.Hint);
        }
    }

    [Fact]
    public void Over_a_single_candidate_with_keep_all_it_warns_that_it_can_drop_nothing()
    {
        var yaml = Drafts.Replace("[proposer1, proposer2, proposer3]", "[proposer1]", StringComparison.Ordinal);

        var lone = Assert.Single(Diagnose(yaml + "  - keyword_filter: { keywords: [Canberra] }\n"));
        var failing = Diagnose(yaml + "  - keyword_filter: { keywords: [Canberra], on_none: fail }\n");

        Assert.Equal((KeywordFilterDefinition.FiltersNothing, DiagnosticSeverity.Warning), (lone.Code, lone.Severity));
        Assert.Equal(new SourceLocation("kwf.yaml", 9, 5), lone.Location);
        Assert.Empty(failing);
    }

    [Fact]
    public void Without_registration_it_is_an_unknown_technique()
    {
        var error = Assert.Single(Diagnose(File.ReadAllText(Example), StandardProviders.Catalog), d => d.IsError);

        Assert.Equal(DiagnosticCodes.UnknownTechnique, error.Code);
        Assert.Equal("unknown technique 'keyword_filter'", error.Message);
        Assert.Equal((38, 5), (error.Location.Line, error.Location.Column));
    }

    // ---- What the core does with techniques of its own ----

    [Fact]
    public void A_technique_that_needs_log_probabilities_over_a_scripted_model_is_CMP507_at_its_location()
    {
        var catalog = StandardProviders.Catalog.WithTechniques(TechniqueCatalog.BuiltIn.With(new LogProbPickDefinition()));

        var diagnostics = Diagnose(Drafts + "  - logprob_pick: { model: proposer2 }\n", catalog);

        var error = Assert.Single(diagnostics, d => d.IsError);
        Assert.Equal(DiagnosticCodes.ModelLacksCapability, error.Code);
        Assert.Equal(new SourceLocation("kwf.yaml", 9, 5), error.Location);
        Assert.Equal("'logprob_pick' needs log-probabilities from model 'proposer2', which provider 'scripted' does not offer", error.Message);
    }

    [Fact]
    public void A_technique_whose_reading_throws_is_CMP409_naming_it_without_a_stack_trace()
    {
        var catalog = StandardProviders.Catalog.WithTechniques(TechniqueCatalog.BuiltIn.With(new ThrowingDefinition()));

        var diagnostics = Diagnose(Drafts + "  - throws_on_read: {}\n", catalog);

        var error = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticCodes.TechniqueFailed, error.Code);
        Assert.Equal(new SourceLocation("kwf.yaml", 9, 5), error.Location);
        Assert.Equal(
            $"technique 'throws_on_read' ({typeof(ThrowingDefinition).FullName}) failed while reading its options: InvalidOperationException: the reader is broken",
            error.Message);
        Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
    }

    // ---- The CLI with --techniques ----

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "KeywordFilter.dll");

    private const string ExampleFile = "examples/CustomTechnique/pipeline.yaml";

    [Fact]
    public async Task The_cli_validates_graphs_and_runs_the_example_with_the_assembly()
    {
        var validate = await Cli.Process(["validate", ExampleFile, "--techniques", Dll]);
        var graph = await Cli.Process(["graph", ExampleFile, "--techniques", Dll]);
        var run = await Cli.Process(["run", ExampleFile, "--techniques", Dll, "--input", Question]);

        Assert.True(validate.ExitCode == 0, validate.All);
        Assert.Contains(": ok (", validate.Out, StringComparison.Ordinal);
        Assert.True(graph.ExitCode == 0, graph.All);
        Assert.Matches(@"(?m)^2\s+L2\.keyword_filter\s+keyword_filter\s+-\s+3→3\s+0\s+0\s+0$", graph.Out);
        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(Fused, run.Out.Trim());
        Assert.False(validate.ShowsStackTrace || graph.ShowsStackTrace || run.ShowsStackTrace);
    }

    [Fact]
    public async Task Without_the_assembly_the_cli_says_unknown_technique()
    {
        var result = await Cli.Process(["validate", ExampleFile]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("pipeline.yaml:38:5: error CMP211: unknown technique 'keyword_filter'", result.Error, StringComparison.Ordinal);
        Assert.False(result.ShowsStackTrace, result.All);
    }

    [Fact]
    public async Task Compose_techniques_lists_the_assemblys_technique()
    {
        var result = await Cli.Process(["techniques", "--techniques", Dll]);
        var builtIn = await Cli.InProcess("techniques");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("keyword_filter  [KeywordFilter]\n  Keeps the candidates that mention the keywords", result.Out, StringComparison.Ordinal);
        Assert.Contains("  mode: all (default)", result.Out, StringComparison.Ordinal);
        Assert.StartsWith("generate\n", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("keyword_filter", builtIn.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_in_process_cli_loads_the_assembly_the_tests_reference()
    {
        var result = await Cli.InProcess("validate", Example, "--techniques", Dll);

        Assert.True(result.ExitCode == 0, result.All);
    }

    [Theory]
    [InlineData("no-such-technique.dll", "no such file")]
    [InlineData("README.md", "not a .NET assembly this runtime can load")]
    [InlineData("examples", "is a folder")]
    [InlineData("Compose.Cli.dll", "defines no technique")]
    public async Task Techniques_naming_no_technique_assembly_exits_2_with_a_message(string path, string message)
    {
        var techniques = path == "Compose.Cli.dll" ? Path.Combine(AppContext.BaseDirectory, path) : path;

        var result = await Cli.Process(["validate", ExampleFile, "--techniques", techniques]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--techniques {techniques}: {message}", result.Error, StringComparison.Ordinal);
        Assert.False(result.ShowsStackTrace, result.All);
    }

    // ---- Techniques for the core's checks ----

    /// <summary>Picks the candidate with the highest log-probability; needs a model that reports them.</summary>
    public sealed record LogProbPickSpec(ModelRef? Model, SourceLocation Location) : TechniqueSpec(Location)
    {
        public override string Kind => "logprob_pick";
    }

    public sealed class LogProbPickDefinition : TechniqueDefinition<LogProbPickSpec>
    {
        public override string Key => "logprob_pick";

        public override string Summary => "Keeps the candidate with the highest log-probability.";

        public override ImmutableArray<TechniqueOption> Options { get; } = [new("model", "The model whose log-probabilities count.")];

        public override LogProbPickSpec Read(TechniqueReader reader) => new(reader.Model("model"), reader.Location);

        public override IEnumerable<ModelRef?> Models(LogProbPickSpec spec) => [spec.Model];

        public override TechniqueNeeds Needs(LogProbPickSpec spec) => new() { FromModels = ModelCapabilities.LogProbabilities };

        public override TechniqueBounds Bounds(LogProbPickSpec spec, BoundsInput input) =>
            new([ModelCalls.Of(input.Model, input.Input.Count, input.QuestionTokens, input.MaxTokens)], input.Input with { Count = Math.Min(1, input.Input.Count) });

        public override ITechnique Create(LogProbPickSpec spec) => throw new NotSupportedException("never run: it does not compile over a scripted model");
    }

    public sealed record ThrowingSpec(SourceLocation Location) : TechniqueSpec(Location)
    {
        public override string Kind => "throws_on_read";
    }

    /// <summary>A technique with a bug: reading its options throws.</summary>
    public sealed class ThrowingDefinition : TechniqueDefinition<ThrowingSpec>
    {
        public override string Key => "throws_on_read";

        public override string Summary => "Throws while reading its options.";

        public override ImmutableArray<TechniqueOption> Options { get; } = [];

        public override ThrowingSpec Read(TechniqueReader reader) => throw new InvalidOperationException("the reader is broken");

        public override TechniqueBounds Bounds(ThrowingSpec spec, BoundsInput input) => TechniqueBounds.NoCalls(input.Input);

        public override ITechnique Create(ThrowingSpec spec) => throw new NotSupportedException("never run");
    }
}
