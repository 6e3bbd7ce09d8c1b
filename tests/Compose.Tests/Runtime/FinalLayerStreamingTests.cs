using System.Runtime.CompilerServices;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Runtime;

/// <summary>The final technique's single call streams through; other shapes run, then stream.</summary>
public sealed class FinalLayerStreamingTests
{
    private const string GenerateThenFuse = """
        compose: 1
        name: gen-fuse
        models:
          m: { provider: instance }
        defaults: { model: m }
        layers:
          - generate: { samples: 3 }
          - fuse: {}
        """;

    [Fact]
    public async Task The_fuse_tokens_arrive_while_the_fuse_call_is_still_running()
    {
        var model = new GatedModel();
        using var pipeline = PipelineHarness.Build(GenerateThenFuse, new Dictionary<string, IChatClient> { ["m"] = model });
        Assert.True(pipeline.StreamsFinalLayer);

        await using var updates = pipeline.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Q?")]).GetAsyncEnumerator();
        Assert.True(await updates.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("fused", updates.Current.Text);
        Assert.False(model.Released.Task.IsCompleted);
        Assert.Equal(4, model.Calls);

        model.Released.SetResult();
        var rest = new List<ChatResponseUpdate> { updates.Current };
        while (await updates.MoveNextAsync())
        {
            rest.Add(updates.Current);
        }

        var response = rest.ToChatResponse();
        Assert.Equal("fused answer", response.Text);
        Assert.Equal("gen-fuse", response.ModelId);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(4, rest[^1].AdditionalProperties!["compose.calls"]);

        // The usage is the whole run's (3 generate calls of 10+2 tokens, the streamed fuse call's 30+2), counted once.
        Assert.Equal(60, response.Usage!.InputTokenCount);
        Assert.Equal(8, response.Usage.OutputTokenCount);
    }

    [Theory]
    [InlineData("  - generate: { samples: 3 }\n  - vote: {}\n")]
    [InlineData("  - generate: { samples: 2 }\n")]
    [InlineData("  - generate: { samples: 2 }\n  - fuse: { samples: 2 }\n")]
    public void Shapes_whose_last_layer_is_not_one_call_do_not_stream_token_by_token(string layers)
    {
        using var pipeline = PipelineHarness.Build(
            "compose: 1\nname: x\nmodels:\n  m: { provider: scripted, default: \"The answer is 4.\" }\ndefaults: { model: m }\nlayers:\n" + layers);
        Assert.False(pipeline.StreamsFinalLayer);
    }

    [Fact]
    public async Task Run_then_stream_shapes_still_stream_the_answer_with_usage()
    {
        using var pipeline = PipelineHarness.Build(
            "compose: 1\nname: sc\nmodels:\n  m: { provider: scripted, default: \"The answer is 4.\" }\ndefaults: { model: m }\nlayers:\n  - generate: { samples: 3 }\n  - vote: {}\n");
        var response = await pipeline.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "2+2?")]).ToChatResponseAsync();
        Assert.Equal("The answer is 4.", response.Text);
        Assert.True(response.Usage!.OutputTokenCount > 0);
    }

    [Fact]
    public async Task A_scripted_single_call_streams_word_by_word_and_equals_the_unstreamed_answer()
    {
        using var pipeline = PipelineHarness.Build(
            "compose: 1\nname: one\nmodels:\n  m: { provider: scripted, default: \"Paris is the capital.\" }\ndefaults: { model: m }\nlayers:\n  - generate: { samples: 1 }\n");
        Assert.True(pipeline.StreamsFinalLayer);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in pipeline.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "capital?")], new ChatOptions { Seed = 3 }))
        {
            updates.Add(u);
        }

        Assert.Equal(["Paris", " is", " the", " capital."], updates.Where(u => u.Text.Length > 0).Select(u => u.Text));
        var streamed = updates.ToChatResponse();
        var whole = await pipeline.GetResponseAsync([new ChatMessage(ChatRole.User, "capital?")], new ChatOptions { Seed = 3 });
        Assert.Equal(whole.Text, streamed.Text);
        Assert.Equal(whole.Usage!.TotalTokenCount, streamed.Usage!.TotalTokenCount);
    }

    [Fact]
    public async Task A_budget_that_stops_before_the_final_call_still_streams_the_best_answer_so_far()
    {
        using var pipeline = PipelineHarness.Build(
            "compose: 1\nname: b\nmodels:\n  m: { provider: scripted, default: \"The answer is 4.\" }\ndefaults: { model: m }\nlayers:\n  - generate: { samples: 2 }\n  - fuse: {}\n");
        var options = new ChatOptions { AdditionalProperties = new() { ["compose.max_calls"] = 2L } };
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in pipeline.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "2+2?")], options))
        {
            updates.Add(u);
        }

        var response = updates.ToChatResponse();
        Assert.Equal("The answer is 4.", response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(2, updates[^1].AdditionalProperties!["compose.calls"]);
    }

    [Fact]
    public async Task A_failing_final_call_throws_a_pipeline_run_exception()
    {
        var failing = new TestModel((p, _) => p.StartsWith("You have been given", StringComparison.Ordinal) ? throw new InvalidOperationException("model down") : "x");
        using var pipeline = PipelineHarness.Build(GenerateThenFuse, new Dictionary<string, IChatClient> { ["m"] = failing });
        var ex = await Assert.ThrowsAsync<PipelineRunException>(async () =>
        {
            await foreach (var u in pipeline.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Q?")]))
            {
                Assert.Fail("nothing should stream: " + u.Text);
            }
        });
        Assert.Contains("model down", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_the_enumeration_early_cancels_the_run()
    {
        var model = new GatedModel();
        using var pipeline = PipelineHarness.Build(GenerateThenFuse, new Dictionary<string, IChatClient> { ["m"] = model });
        await foreach (var u in pipeline.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Q?")]))
        {
            await model.Waiting.Task.WaitAsync(TimeSpan.FromSeconds(20));
            break;
        }

        Assert.True(model.Cancelled.Task.IsCompleted);
        Assert.False(model.Released.Task.IsCompleted);
    }

    /// <summary>Answers generate prompts at once; streams the fuse reply's first word, then waits for the test.</summary>
    private sealed class GatedModel : IChatClient
    {
        private int _calls;

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => _calls;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "sample"))
            {
                Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2 },
            });
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            yield return new ChatResponseUpdate(ChatRole.Assistant, "fused");
            Waiting.TrySetResult();
            try
            {
                await Released.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Cancelled.TrySetResult();
                throw;
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, " answer");
            yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 30, OutputTokenCount = 2 })]);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
