using Compose.Compilation;
using Compose.Language;
using Compose.Techniques;
using Compose.Models;

namespace Compose.Tests.Compilation;

public sealed class PipelineCompilerTests
{
    private static string Valid(string name) => Path.Combine(TestFiles.Output("Valid"), name);

    private static CompileResult LoadText(string yaml, ModelProviderCatalog? catalog = null) =>
        PipelineCompiler.CompileText(yaml, Path.Combine(TestFiles.Output("Valid"), "inline.yaml"), catalog ?? FakeProvider.Catalog);

    [Fact]
    public void Generate_critique_rank_fuse_bounds_calls_tokens_and_cost()
    {
        var result = PipelineCompiler.CompileFile(Valid("rank-then-fuse.yaml"), FakeProvider.Catalog);

        Assert.Empty(result.Diagnostics);
        Assert.True(result.Success);
        var graph = result.Graph!;
        Assert.Equal(["L1.generate", "L2.critique", "L3.rank", "L4.fuse"], graph.Nodes.Select(n => n.Id));
        Assert.Equal([10, 10, 1, 1], graph.Nodes.Select(n => n.Bound.Calls));
        Assert.Equal([(0, 10), (10, 10), (10, 5), (5, 1)], graph.Nodes.Select(n => (n.MaxCandidatesIn, n.MaxCandidatesOut)));
        Assert.Equal(["local", "gpt"], graph.Nodes[0].ResolvedModels.AsEnumerable());

        // base input = 256 template + 512 question; each candidate and critique at most 1024 tokens.
        Assert.Equal([7_680L, 17_920L, 21_248L, 11_008L], graph.Nodes.Select(n => n.Bound.InputTokens));
        Assert.Equal([10_240L, 10_240L, 1_024L, 1_024L], graph.Nodes.Select(n => n.Bound.OutputTokens));
        Assert.Equal(new CostBound(22, 57_856, 22_528), graph.Bound);

        // local is free; gpt: 5 generate + 10 critique + rank + fuse calls.
        var gptIn = (5 * 768) + 17_920 + 21_248 + 11_008;
        var gptOut = (5 * 1024) + 10_240 + 1024 + 1024;
        Assert.Equal((gptIn * 0.15m / 1000) + (gptOut * 0.6m / 1000), graph.MaxCost);
        Assert.Equal(
            [new GraphEdge("input", "L1.generate"), new("L1.generate", "L2.critique"), new("L2.critique", "L3.rank"), new("L3.rank", "L4.fuse"), new("L4.fuse", "output")],
            graph.Edges.AsEnumerable());
    }

    [Fact]
    public void Side_by_side_layers_concatenate_and_every_technique_is_bounded()
    {
        var result = PipelineCompiler.CompileFile(Valid("everything.yaml"), FakeProvider.Catalog);

        Assert.Empty(result.Diagnostics);
        var graph = result.Graph!;
        Assert.Equal(
            ["propose", "L2.rank", "L2.vote", "L3.verify", "L4.verify", "L5.verify", "L6.refine", "L7.refine", "L8.unit_tests", "L9.fuse", "L9.critique"],
            graph.Nodes.Select(n => n.Id));
        Assert.Equal([8, 28, 0, 0, 0, 0, 66, 22, 12, 2, 2], graph.Nodes.Select(n => n.Bound.Calls));
        Assert.Equal([8, 3, 8, 11, 11, 11, 11, 11, 2, 2, 2], graph.Nodes.Select(n => n.MaxCandidatesOut));
        Assert.Equal(140, graph.Bound.Calls);
        Assert.Equal(4, graph.MaxFinalCandidates);
        Assert.Equal(["base", "judge"], graph.Nodes[6].ResolvedModels.AsEnumerable());
        Assert.Equal(["default"], graph.Nodes[7].ResolvedModels.AsEnumerable());
        Assert.Empty(graph.Nodes[3].ResolvedModels.AsEnumerable());
        Assert.Equal(3, graph.Edges.Count(e => e.From == "L8.unit_tests" || e.To == "L8.unit_tests"));
        Assert.Contains(new GraphEdge("L2.vote", "L3.verify"), graph.Edges);
        Assert.Contains(new GraphEdge("L9.critique", "output"), graph.Edges);
    }

    [Fact]
    public void Pairwise_rank_and_refine_call_counts_follow_the_formulas()
    {
        var result = LoadText("""
            compose: 1
            name: formulas
            models: { m: { provider: fake }, v: { provider: fake } }
            defaults: { model: m }
            layers:
              - generate: { samples: 6 }
              - rank: { method: pairwise, keep: 4 }
              - rank: { method: pointwise, keep: 3 }
              - refine: { rounds: 5, until: verified, verifier: v }
              - refine: { rounds: 2, until: verified, check: { number: true } }
              - unit_tests: { keep: 2 }
            """);

        Assert.Empty(result.Diagnostics);
        Assert.Equal([6, 15, 4, 5 * 3 * 3, 2 * 3 * 2, 1 + 3], result.Graph!.Nodes.Select(n => n.Bound.Calls));
    }

    [Fact]
    public void The_host_default_model_is_used_when_the_pipeline_names_none()
    {
        var withDefault = FakeProvider.Catalog.WithDefaultModel(new ModelSpec("default", "fake", new SpecMapping([], SourceLocation.None), SourceLocation.None));

        var without = PipelineCompiler.CompileFile(Valid("minimal.yaml"), FakeProvider.Catalog);
        var with = PipelineCompiler.CompileFile(Valid("minimal.yaml"), withDefault);

        Assert.Equal(DiagnosticCodes.NoDefaultModel, Assert.Single(without.Diagnostics).Code);
        Assert.True(with.Success);
        Assert.Equal(["default"], with.Graph!.Nodes[0].ResolvedModels.AsEnumerable());
    }

    [Fact]
    public void Reader_and_compiler_errors_are_reported_together()
    {
        var result = LoadText("""
            compose: 1
            name: both
            models: { gpt: { provider: opnai } }
            defaults: { model: gpt, temperature: hot }
            layers:
              - generate: { model: gtp }
            """);

        Assert.Equal(
            ["CMP301 3:28", "CMP201 4:38", "CMP302 6:24"],
            result.Diagnostics.Select(d => $"{d.Code} {d.Location.Line}:{d.Location.Column}"));
        Assert.False(result.Success);
        Assert.Null(result.Graph);
    }

    [Fact]
    public void Composition_checks_are_skipped_when_the_layers_had_errors()
    {
        var result = LoadText("""
            compose: 1
            name: partial
            models: { gpt: { provider: fake } }
            defaults: { model: gpt }
            layers:
              - generate: { samples: many }
              - rank: { keep: 2 }
            """);

        Assert.Equal(DiagnosticCodes.WrongType, Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void Huge_bounds_saturate_instead_of_overflowing()
    {
        var result = LoadText("""
            compose: 1
            name: huge
            models: { a: { provider: fake }, b: { provider: fake } }
            defaults: { model: a, max_tokens: 1000000, input_tokens: 2000000000 }
            budget: { max_calls: 1, max_tokens: 1, max_cost: 1, prices: { a: { input: 1000000000, output: 1000000000 } } }
            layers:
              - generate: { models: [a, a, a, a, a, a, a, a], samples: 1000 }
              - rank: { method: pairwise, keep: 7999 }
              - rank: { method: pairwise, keep: 7998 }
            """);

        Assert.Contains(result.Diagnostics, d => d.Code == DiagnosticCodes.CallBudgetExceeded);
        Assert.Contains(result.Diagnostics, d => d.Code == DiagnosticCodes.TokenBudgetExceeded);
        Assert.Contains(result.Diagnostics, d => d.Code == DiagnosticCodes.CostBudgetExceeded);
        Assert.True(result.Graph!.Bound.Calls > 0);
        Assert.True(result.Graph.Bound.TotalTokens > 0);
    }

    [Fact]
    public void A_path_with_invalid_characters_does_not_throw()
    {
        var result = PipelineCompiler.CompileText("compose: 1\nname: t\nlayers:\n  - generate: { prompt: { file: x.sbn } }\n", "bad\0path.yaml", FakeProvider.Catalog);

        Assert.DoesNotContain(result.Diagnostics, d => d.Code == DiagnosticCodes.InternalError);
    }

    [Fact]
    public void A_throwing_provider_becomes_a_diagnostic()
    {
        var catalog = ModelProviderCatalog.Empty.With(new ThrowingProvider());

        var result = LoadText("compose: 1\nname: t\nmodels: { m: { provider: throws } }\nlayers:\n  - generate: { model: m }\n", catalog);

        Assert.Equal(DiagnosticCodes.ProviderCheckFailed, Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void Compile_accepts_a_hand_built_spec()
    {
        var spec = new PipelineSpec
        {
            Name = "hand",
            Models = [new ModelSpec("m", "fake", new SpecMapping([], SourceLocation.None), SourceLocation.None)],
            Layers = [new LayerSpec([new GenerateSpec([new ModelRef("m", SourceLocation.None)], 3, SourceLocation.None)], SourceLocation.None), new LayerSpec([], SourceLocation.None)],
        };
        var context = new ModelProviderContext { BaseDirectory = ".", Catalog = FakeProvider.Catalog };

        var result = PipelineCompiler.Compile(spec, FakeProvider.Catalog, context);

        Assert.True(result.Success);
        Assert.Equal(3, result.Graph!.Bound.Calls);
    }

    private sealed class ThrowingProvider : IModelProvider
    {
        public string Name => "throws";

        public IEnumerable<Diagnostic> Check(ModelSpec spec, ModelProviderContext context) => throw new InvalidOperationException("boom");

        public Microsoft.Extensions.AI.IChatClient Create(ModelSpec spec, ModelProviderContext context) => throw new NotSupportedException();
    }
}
