using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Models;
using Compose.Runtime;
using Compose.Tests.Runtime;
using Compose.Techniques;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Techniques;

/// <summary>
/// The catalog refuses malformed registrations at once, and a technique from outside Compose that throws, warns or
/// traces an event of its own is handled like a built-in: its failures are located and named as its own bugs.
/// </summary>
public sealed class TechniqueCatalogTests
{
    private sealed record ProbeSpec(string Fails, SourceLocation Location) : TechniqueSpec(Location)
    {
        public override string Kind => "probe";
    }

    private sealed class ProbeDefinition(string key = "probe", params string[] options) : TechniqueDefinition<ProbeSpec>
    {
        public override string Key => key;

        public override string Summary => "A probe for the catalog's tests.";

        public override ImmutableArray<TechniqueOption> Options => [.. options.DefaultIfEmpty("fails").Select(o => new TechniqueOption(o, "test"))];

        public override ProbeSpec Read(TechniqueReader reader) => new(reader.Text("fails") ?? "", reader.Location);

        public override TechniqueBounds Bounds(ProbeSpec spec, BoundsInput input) =>
            spec.Fails == "bounds" ? throw new InvalidOperationException("no bound") : TechniqueBounds.NoCalls(input.Input);

        public override ITechnique Create(ProbeSpec spec) => spec.Fails == "create" ? throw new InvalidOperationException("cannot start") : new Probe(spec);
    }

    private sealed record Tally(string Node, int Count) : TraceEvent;

    private sealed class Probe(ProbeSpec spec) : ITechnique
    {
        public Task<ImmutableArray<Candidate>> RunAsync(TechniqueContext context, CancellationToken cancellationToken)
        {
            switch (spec.Fails)
            {
                case "run":
                    throw new NullReferenceException("probe bug");
                case "warn":
                    context.Report(new RunWarning("probe kept everything") { QuestionId = context.Question.Id });
                    context.Report(new TechniqueEvent(context.NodeId, "kept", ImmutableDictionary<string, string>.Empty.Add("count", "2")) { QuestionId = context.Question.Id });
                    context.Report(new Tally(context.NodeId, 2) { QuestionId = context.Question.Id });
                    break;
            }

            return Task.FromResult(context.Input);
        }
    }

    private static readonly TechniqueCatalog Catalog = TechniqueCatalog.BuiltIn.With(new ProbeDefinition());

    private static string Pipeline(string fails) => $"""
        compose: 1
        name: probe
        models: {"{"} m: {"{"} provider: instance {"}"} {"}"}
        defaults: {"{"} model: m {"}"}
        layers:
          - generate: {"{"} samples: 2 {"}"}
          - probe: {"{"} fails: {fails} {"}"}
        """;

    private static ModelProviderCatalog Providers(IChatClient model) =>
        StandardProviders.Catalog.With(new InstanceProvider(new Dictionary<string, IChatClient> { ["m"] = model })).WithTechniques(Catalog);

    [Theory]
    [InlineData("Probe", "lower case")]
    [InlineData("2probe", "lower case")]
    [InlineData("rank", "already registered")]
    public void A_malformed_or_taken_key_is_refused_when_registered(string key, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => TechniqueCatalog.BuiltIn.With(new ProbeDefinition(key)));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("model", "max_tokens")]
    [InlineData("keep", "keep")]
    public void Options_that_repeat_or_shadow_a_common_option_are_refused(string first, string second)
    {
        Assert.Throws<ArgumentException>(() => TechniqueCatalog.BuiltIn.With(new ProbeDefinition("probe", first, second)));
    }

    [Fact]
    public void A_throwing_bound_is_CMP409_at_the_technique_naming_its_type()
    {
        var compiled = PipelineCompiler.CompileText(Pipeline("bounds"), "probe.yaml", Providers(new TestModel((p, _) => "x")));

        var error = Assert.Single(compiled.Diagnostics, d => d.IsError);
        Assert.Equal(DiagnosticCodes.TechniqueFailed, error.Code);
        Assert.Equal((7, 5), (error.Location.Line, error.Location.Column));
        Assert.Contains("ProbeDefinition) failed while bounding its calls: InvalidOperationException: no bound", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_technique_that_cannot_be_created_is_CMP409_when_the_pipeline_is_built()
    {
        var catalog = Providers(new TestModel((p, _) => "x"));
        var compiled = PipelineCompiler.CompileText(Pipeline("create"), "probe.yaml", catalog);
        var (pipeline, diagnostics) = RunnablePipeline.Build(compiled.Graph!, catalog, new ModelProviderContext { BaseDirectory = ".", Catalog = catalog });

        Assert.Null(pipeline);
        var error = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticCodes.TechniqueFailed, error.Code);
        Assert.Contains("failed while creating node L2.probe: InvalidOperationException: cannot start", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bug_in_its_run_fails_the_run_naming_the_technique_not_Compose()
    {
        using var pipeline = PipelineHarness.Build(Pipeline("run"), new Dictionary<string, IChatClient> { ["m"] = new TestModel((p, _) => "x") }, techniques: Catalog);

        var result = await pipeline.RunAsync("q");

        Assert.False(result.Succeeded);
        Assert.StartsWith("technique 'probe' (", result.Error, StringComparison.Ordinal);
        Assert.Contains("failed at node L2.probe: NullReferenceException: probe bug. This is a bug in the technique", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Its_warnings_reach_the_result_and_its_events_reach_the_trace_even_of_a_type_the_trace_does_not_know()
    {
        using var pipeline = PipelineHarness.Build(Pipeline("warn"), new Dictionary<string, IChatClient> { ["m"] = new TestModel((p, _) => "x") }, techniques: Catalog);
        using var text = new StringWriter();
        RunResult result;
        using (var sink = new JsonlTraceSink(text))
        {
            result = await pipeline.RunAsync("q", new RunOptions { Trace = sink });
        }

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(["probe kept everything"], result.Warnings.ToArray());
        var lines = text.ToString().Split('\n');
        Assert.Contains(lines, l => l.StartsWith("{\"event\":\"warning\"", StringComparison.Ordinal) && l.Contains("probe kept everything", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("{\"event\":\"technique\"", StringComparison.Ordinal) && l.Contains("\"data\":{\"count\":\"2\"}", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("{\"event\":\"other\",\"type\":\"Tally\"", StringComparison.Ordinal) && l.Contains("\"count\":2", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("{\"event\":\"run_end\"", StringComparison.Ordinal));
    }
}
