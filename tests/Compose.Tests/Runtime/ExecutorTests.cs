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
        // Each draft's text is fixed by its sample (read back from its seed): s0 and s2 say 7, s1 says 9.
        var bySeed = Enumerable.Range(0, 3).ToDictionary(i => SeedDerivation.Derive(0, "q", "L1.generate", i), i => i);
        var model = new TestModel((p, o) => p.StartsWith("Rank", StringComparison.Ordinal) ? "[3] > [1] > [2]"
            : bySeed[o!.Seed!.Value] switch { 0 => "draft zero #### 7", 1 => "draft one #### 9", _ => "draft two #### 7" });
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
        var trace = new MemoryTraceSink();
        var result = await pipeline.RunAsync(Question.FromText("q"), new RunOptions { Trace = trace });
        Assert.True(result.Succeeded, result.Error);

        string[] drafts = ["L1.generate.m0.s0", "L1.generate.m0.s1", "L1.generate.m0.s2"];
        Assert.Equal(drafts, result.LayerOutputs[0].ToArray());

        // Both nodes read the same three drafts: rank's one call lists all three, vote counted all three.
        var rankCall = Assert.Single(trace.Events.OfType<ModelCalled>(), c => c.Node == "best");
        foreach (var expected in new[] { "[1] draft zero #### 7", "[2] draft one #### 9", "[3] draft two #### 7" })
        {
            Assert.Contains(expected, rankCall.Messages[^1].Text, StringComparison.Ordinal);
        }

        var vote = Assert.Single(trace.Events.OfType<VoteCounted>());
        Assert.Equal("majority", vote.Node);
        Assert.Equal("7", vote.Answer);
        Assert.Equal(0, vote.Abstained);
        Assert.Equal(["L1.generate.m0.s0", "L1.generate.m0.s2"], Assert.Single(vote.Tally, t => t.Answer == "7").Candidates.ToArray());
        Assert.Equal(["L1.generate.m0.s1"], Assert.Single(vote.Tally, t => t.Answer == "9").Candidates.ToArray());
        Assert.Equal(2, vote.Tally.Length);

        // The layer's output is rank's output (its best: [3]) followed by vote's (the two 7s, in input order).
        string[] layer = ["L1.generate.m0.s2", "L1.generate.m0.s0", "L1.generate.m0.s2"];
        Assert.Equal(layer, result.LayerOutputs[1].ToArray());
        Assert.Equal(layer, result.Survivors.Select(c => c.Id));
        Assert.Equal(["draft two #### 7", "draft zero #### 7", "draft two #### 7"], result.Survivors.Select(c => c.Text));
        Assert.Equal(2.0 / 3, result.Survivors[1].Score);
        Assert.Equal(2.0 / 3, result.Survivors[2].Score);
        Assert.Equal("L1.generate.m0.s2", result.AnswerCandidate!.Id);
        Assert.Equal(4, result.Usage.Calls); // three drafts and one ranking; vote makes no call
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
        // Other test classes run pipelines at the same time and this listener hears their activities too, so it
        // counts only the activities of this run's trace: the run starts under a root activity of the test's own.
        using var root = new Activity("executor-tests-root").Start();
        var traceId = root.TraceId;
        var ours = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ComposeTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                if (a.TraceId == traceId)
                {
                    ours.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var pipeline = PipelineHarness.Build(Shape, new Dictionary<string, IChatClient> { ["m"] = Answering() });
        var result = await pipeline.RunAsync(Question.FromText("q", "activity-test-question"));
        root.Stop();
        Assert.True(result.Succeeded, result.Error);

        var names = ours.Select(a => a.OperationName).ToList();
        var run = Assert.Single(ours, a => a.OperationName == "compose.run");
        Assert.Equal(root.SpanId, run.ParentSpanId);
        Assert.Equal("shape", run.GetTagItem("compose.pipeline"));
        Assert.Equal("activity-test-question", run.GetTagItem("compose.question_id"));
        Assert.Equal(4, names.Count(n => n == "compose.layer"));
        Assert.Equal(4, names.Count(n => n == "compose.technique")); // one node per layer
        Assert.Equal(["generate", "critique", "rank", "fuse"],
            ours.Where(a => a.OperationName == "compose.technique").OrderBy(a => a.StartTimeUtc).Select(a => a.GetTagItem("compose.technique")?.ToString()));
        Assert.Equal(22, names.Count(n => n.StartsWith("chat", StringComparison.Ordinal))); // 10 drafts, 10 critiques, 1 ranking, 1 fusion
        Assert.Equal(1 + 4 + 4 + 22, names.Count); // nothing else, and nothing from other tests' runs
    }
}
