using System.Diagnostics;
using Compose.Language;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Runtime;

public sealed class ExecutorTests
{
    private const string Shape = """
        compose: 1
        name: shape
        models:
          m: { provider: instance }
        defaults: { model: m }
        layers:
          - generate: { samples: 10 }
          - critique: {}
          - rank: { keep: 5 }
          - fuse: {}
        """;

    private static TestModel Answering(TimeSpan? latency = null) => new((p, o) =>
        p.StartsWith("Rank", StringComparison.Ordinal) ? "[4] > [2]"
        : p.StartsWith("Evaluate", StringComparison.Ordinal) ? "fine"
        : $"answer {o?.Seed % 1000}", latency);

    [Fact]
    public async Task Calls_within_a_layer_run_concurrently()
    {
        var model = Answering(TimeSpan.FromMilliseconds(50));
        using var pipeline = PipelineHarness.Build(Shape, new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync("What is 2+2?");
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(22, result.Usage.Calls);
        Assert.Equal(10, model.MaxInFlight); // all 10 samples (and all 10 critiques) were in flight together
        // Each candidate once: 10 drafts (critiqued, 5 of them ranked: the same ids) and the fused answer.
        Assert.Equal(10 + 1, result.AllCandidates.Length);
        Assert.Equal(result.AllCandidates.Length, result.AllCandidates.Select(c => c.Id).Distinct().Count());
        Assert.All(result.AllCandidates.Take(10), c => Assert.Single(c.Critiques));
        Assert.Equal([10, 10, 5, 1], result.LayerOutputs.Select(l => l.Length));
        Assert.Equal(4, result.LayersCompleted);
    }

    [Fact]
    public async Task Per_model_concurrency_limits_calls_in_flight()
    {
        var model = Answering(TimeSpan.FromMilliseconds(20));
        using var pipeline = PipelineHarness.Build(Shape.Replace("m: { provider: instance }", "m: { provider: instance, concurrency: 3 }", StringComparison.Ordinal),
            new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync("What is 2+2?");
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(3, model.MaxInFlight);
    }

    [Fact]
    public async Task Side_by_side_techniques_see_the_same_input_and_their_outputs_concatenate()
    {
        var model = new TestModel((p, o) => p.StartsWith("Rank", StringComparison.Ordinal) ? "[3] > [1] > [2]" : $"#### {o!.Seed % 3}");
        using var pipeline = PipelineHarness.Build("""
            compose: 1
            name: side
            models: { m: { provider: instance } }
            defaults: { model: m }
            layers:
              - generate: { samples: 3 }
              - [ { rank: { keep: 1, id: best } }, { vote: { id: majority } } ]
            output: first
            """, new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync("q");
        var generated = result.AllCandidates.Take(3).ToArray();
        Assert.Equal(generated[2].Id, result.Survivors[0].Id); // rank's output first
        Assert.True(result.Survivors.Length >= 2);
        Assert.Equal(result.Survivors[0].Id, result.AnswerCandidate!.Id);
    }

    [Fact]
    public async Task A_budget_stop_keeps_the_samples_that_finished_and_flags_the_result()
    {
        var model = Answering();
        using var pipeline = PipelineHarness.Build(Shape, new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync(Question.FromText("q"), new RunOptions { Budget = new BudgetSpec { MaxCalls = 4 } });
        Assert.True(result.BudgetExhausted);
        Assert.Equal(4, result.Usage.Calls);
        Assert.Equal(4, model.Calls.Count);
        Assert.Equal(4, result.Survivors.Length);
        Assert.NotNull(result.Answer);
        Assert.Null(result.Error);
    }

    [Fact]
    public async Task A_budget_stop_in_a_later_layer_returns_the_previous_layers_candidates()
    {
        var model = Answering();
        using var pipeline = PipelineHarness.Build(Shape, new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync(Question.FromText("q"), new RunOptions { Budget = new BudgetSpec { MaxCalls = 15 } });
        Assert.True(result.BudgetExhausted);
        Assert.Equal(1, result.LayersCompleted);
        Assert.Equal(10, result.Survivors.Length);
        Assert.True(result.Usage.Calls <= 15);
    }

    [Fact]
    public async Task A_token_budget_stops_the_run()
    {
        var model = Answering();
        using var pipeline = PipelineHarness.Build(Shape, new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync(Question.FromText("q"), new RunOptions { Budget = new BudgetSpec { MaxTokens = 60 } });
        Assert.True(result.BudgetExhausted);
        Assert.True(result.Usage.Calls < 22);
    }

    [Fact]
    public async Task Seeds_derive_from_run_seed_question_node_and_sample()
    {
        var model = Answering();
        using var pipeline = PipelineHarness.Build(Shape, new Dictionary<string, IChatClient> { ["m"] = model });
        await pipeline.RunAsync(Question.FromText("q1"), new RunOptions { Seed = 1 });
        var first = model.Calls.Select(c => c.Options!.Seed).ToHashSet();
        Assert.Equal(22, first.Count); // every call its own seed
        model.Calls.Clear();
        await pipeline.RunAsync(Question.FromText("q1"), new RunOptions { Seed = 1 });
        Assert.Equal(first, model.Calls.Select(c => c.Options!.Seed).ToHashSet());
        model.Calls.Clear();
        await pipeline.RunAsync(Question.FromText("q2"), new RunOptions { Seed = 1 });
        Assert.Empty(first.Intersect(model.Calls.Select(c => c.Options!.Seed)));
        Assert.Equal(SeedDerivation.Derive(1, "q1", "L1.generate", 0), SeedDerivation.Derive(1, "q1", "L1.generate", 0));
        Assert.NotEqual(SeedDerivation.Derive(1, "q1", "L1.generate", 0), SeedDerivation.Derive(2, "q1", "L1.generate", 0));
    }

    [Fact]
    public async Task Cancellation_stops_the_run()
    {
        var model = Answering(TimeSpan.FromSeconds(30));
        using var pipeline = PipelineHarness.Build(Shape, new Dictionary<string, IChatClient> { ["m"] = model });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipeline.RunAsync(Question.FromText("q"), null, cts.Token));
    }

    [Fact]
    public async Task A_model_error_fails_the_question_with_its_message()
    {
        var model = new TestModel((_, _) => throw new InvalidOperationException("server on fire"));
        using var pipeline = PipelineHarness.Build(Shape, new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync("q");
        Assert.False(result.Succeeded);
        Assert.Contains("server on fire", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_trace_holds_every_call_and_candidate()
    {
        var model = Answering();
        using var pipeline = PipelineHarness.Build(Shape, new Dictionary<string, IChatClient> { ["m"] = model });
        var trace = new MemoryTraceSink();
        await pipeline.RunAsync(Question.FromText("q"), new RunOptions { Trace = trace });
        Assert.Equal(22, trace.Events.OfType<ModelCalled>().Count());
        Assert.Equal(26, trace.Events.OfType<CandidateProduced>().Count());
        Assert.Equal(4, trace.Events.OfType<LayerFinished>().Count());
        var fuseCall = trace.Events.OfType<ModelCalled>().Single(c => c.Node == "L4.fuse");
        Assert.Contains("[5]", fuseCall.Messages[^1].Text, StringComparison.Ordinal);
        Assert.DoesNotContain("[6]", fuseCall.Messages[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Activities_are_emitted_per_run_layer_technique_and_call()
    {
        var names = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ComposeTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a => names.Add(a.OperationName),
        };
        ActivitySource.AddActivityListener(listener);
        using var pipeline = PipelineHarness.Build(Shape, new Dictionary<string, IChatClient> { ["m"] = Answering() });
        await pipeline.RunAsync("q");
        Assert.Contains("compose.run", names);
        Assert.Equal(4, names.Count(n => n == "compose.layer"));
        Assert.True(names.Count(n => n == "compose.technique") >= 4);
        Assert.True(names.Count(n => n.StartsWith("chat", StringComparison.Ordinal)) >= 22, string.Join(",", names.Distinct()));
    }
}
