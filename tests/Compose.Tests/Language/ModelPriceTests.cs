using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Runtime;

namespace Compose.Tests.Language;

/// <summary>The cost formula is written once (<see cref="ModelPrice.Cost"/>) and saturates instead of overflowing.</summary>
public sealed class ModelPriceTests
{
    private static ModelPrice Price(decimal input, decimal output) => new(input, output, SourceLocation.None);

    public static TheoryData<long, long, decimal, decimal, decimal> Cases() => new()
    {
        { 0, 0, 0.15m, 0.6m, 0m },
        { 1000, 1000, 0.15m, 0.6m, 0.75m },
        { 1500, 250, 0.002m, 0.015m, 0.00675m },
        { 1_234_567, 7_654_321, 0.0003m, 1.25m, 9568.2716201m },
        { 1, 1, 1m, 1m, 0.002m },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cost_is_input_and_output_per_thousand_tokens(long input, long output, decimal inPrice, decimal outPrice, decimal expected) =>
        Assert.Equal(expected, Price(inPrice, outPrice).Cost(input, output));

    [Fact]
    public void Cost_beyond_a_decimal_saturates()
    {
        Assert.Equal(decimal.MaxValue, Price(decimal.MaxValue / 2, 0).Cost(long.MaxValue, 0));
        Assert.Equal(decimal.MaxValue, Price(0, decimal.MaxValue).Cost(0, 2000));
    }

    [Fact]
    public void A_budget_recording_an_unaffordable_call_saturates_instead_of_throwing()
    {
        var spec = new BudgetSpec { Prices = new Dictionary<string, ModelPrice> { ["m"] = Price(decimal.MaxValue / 2, decimal.MaxValue / 2) }.ToImmutableDictionary() };
        var budget = new QuestionBudget(spec);
        budget.ReserveCall("m");
        budget.Record("m", long.MaxValue / 2, long.MaxValue / 2);
        budget.ReserveCall("m");
        budget.Record("m", 1_000_000, 1_000_000);
        Assert.Equal(decimal.MaxValue, budget.Spent.Cost);
        Assert.Equal(2, budget.Spent.Calls);
    }

    [Fact]
    public void The_static_bound_prices_tokens_with_the_same_formula()
    {
        // One model, so the graph's max cost is that model's price of the whole bound.
        const string yaml = """
            compose: 1
            name: priced
            models:
              m: { provider: fake, model: x }
            defaults: { model: m, max_tokens: 77, input_tokens: 123 }
            budget: { prices: { m: { input: 0.3, output: 1.7 } } }
            layers:
              - generate: { samples: 3 }
              - fuse: {}
            """;
        var result = PipelineCompiler.CompileText(yaml, Path.Combine(TestFiles.Output("Valid"), "priced.yaml"), FakeProvider.Catalog);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        var graph = result.Graph!;
        var price = graph.Spec.Budget.Prices["m"];
        Assert.True(graph.MaxCost > 0);
        Assert.Equal(price.Cost(graph.Bound.InputTokens, graph.Bound.OutputTokens), graph.MaxCost);
    }
}
