using System.Collections.Concurrent;
using Compose.Compilation;
using Compose.Models;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Runtime;

/// <summary>
/// A call's usage and cost are computed once, by the budget: a candidate's usage agrees with the question's, and a
/// reply served by a cache in front of the model (outer middleware) costs nothing in both.
/// </summary>
public sealed class MeteringTests
{
    private const string Pipeline = """
        compose: 1
        name: metered
        models: { m: { provider: instance } }
        defaults: { model: m }
        budget: { prices: { m: { input: 1, output: 2 } } }
        layers:
          - generate: { samples: 3 }
        """;

    /// <summary>Answers a prompt it has seen from memory, without calling the model behind it.</summary>
    private sealed class RememberingClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        private readonly ConcurrentDictionary<string, ChatResponse> _seen = new();

        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var key = $"{messages.Last().Text}|{options?.Seed}";
            if (_seen.TryGetValue(key, out var known))
            {
                return known;
            }

            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            _seen[key] = response;
            return response;
        }
    }

    private static RunnablePipeline Build(IChatClient model, bool cache)
    {
        var catalog = StandardProviders.Catalog.With(new InstanceProvider(new Dictionary<string, IChatClient> { ["m"] = model }));
        var context = new ModelProviderContext { BaseDirectory = Directory.GetCurrentDirectory(), Catalog = catalog };
        var graph = PipelineCompiler.CompileText(Pipeline, "metered.yaml", catalog, context).Graph!;
        var options = new PipelineBuildOptions
        {
            ConfigureModel = cache ? (builder, _) => builder.Use(inner => new RememberingClient(inner)) : null,
        };
        return RunnablePipeline.Build(graph, catalog, context, options).Pipeline!;
    }

    [Fact]
    public async Task Each_candidates_usage_is_what_the_budget_metered_and_they_add_up_to_the_questions()
    {
        using var pipeline = Build(new TestModel((_, o) => $"answer {o!.Seed % 10}"), cache: false);

        var result = await pipeline.RunAsync("What is 6 x 7?");

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(3, result.Usage.Calls);
        Assert.Equal(result.Usage.InputTokens, result.AllCandidates.Sum(c => c.Usage.InputTokens));
        Assert.Equal(result.Usage.OutputTokens, result.AllCandidates.Sum(c => c.Usage.OutputTokens));
        Assert.Equal(result.Usage.Cost, result.AllCandidates.Sum(c => c.Usage.Cost));
        Assert.All(result.AllCandidates, c => Assert.Equal((c.Usage.InputTokens * 1m / 1000) + (c.Usage.OutputTokens * 2m / 1000), c.Usage.Cost));
    }

    [Fact]
    public async Task A_reply_from_a_cache_in_front_of_the_model_costs_nothing_in_the_candidate_the_question_and_the_trace()
    {
        var model = new TestModel((_, o) => $"answer {o!.Seed % 10}");
        using var pipeline = Build(model, cache: true);
        var first = await pipeline.RunAsync("What is 6 x 7?");
        var trace = new MemoryTraceSink();

        var second = await pipeline.RunAsync("What is 6 x 7?", new RunOptions { Trace = trace });

        Assert.Equal(3, model.Calls.Count);
        Assert.Equal(3, first.Usage.Calls);
        Assert.True(first.Usage.Cost > 0);
        Assert.Equal(first.Answer, second.Answer);
        Assert.Equal(Usage.Zero, second.Usage);
        Assert.All(second.AllCandidates, c => Assert.Equal(Usage.Zero, c.Usage));
        var calls = trace.Events.OfType<ModelCalled>().ToList();
        Assert.Equal(3, calls.Count);
        Assert.All(calls, c => Assert.True(c.Cached == true && c.InputTokens == 0 && c.OutputTokens == 0));
    }
}
