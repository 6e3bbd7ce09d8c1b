using System.Diagnostics;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Runtime;

/// <summary>Run-time bounds: the token budget caps each call, user regexes cannot stall a question.</summary>
public sealed class BoundaryRuntimeTests
{
    [Fact]
    public async Task Each_call_asks_for_no_more_tokens_than_the_budget_has_left()
    {
        // Every answer costs about 5,000 tokens (the test model counts 4 characters a token).
        var model = new TestModel((_, o) => new string('x', 4 * Math.Min(5000, o?.MaxOutputTokens ?? 5000)));
        using var pipeline = PipelineHarness.Build(
            "compose: 1\nname: b\nmodels: { m: { provider: instance } }\ndefaults: { model: m, max_tokens: 5000 }\nbudget: { max_tokens: 6000 }\nlayers:\n  - generate: {}\n  - generate: {}\n  - generate: {}\n",
            new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync("q");

        var asked = model.Calls.Select(c => c.Options!.MaxOutputTokens).ToList();
        Assert.Equal(5000, asked[0]);
        Assert.True(asked.Count >= 2, "the second call was not made");
        var spentBeforeSecond = 5000 + (model.Calls.First().Prompt.Length / 4);
        Assert.Equal(6000 - spentBeforeSecond, asked[1]);
        Assert.True(result.BudgetExhausted);
        Assert.True(result.Usage.InputTokens + result.Usage.OutputTokens <= 6000 + model.Calls.Sum(c => c.Prompt.Length / 4),
            $"spent {result.Usage.InputTokens + result.Usage.OutputTokens} output+input tokens");
    }

    [Fact]
    public async Task A_cost_budget_caps_output_tokens_by_the_model_price()
    {
        var model = new TestModel((_, o) => "42");
        using var pipeline = PipelineHarness.Build(
            "compose: 1\nname: b\nmodels: { m: { provider: instance } }\ndefaults: { model: m, max_tokens: 5000 }\nbudget: { max_cost: 0.01, prices: { m: { input: 0, output: 10 } } }\nlayers:\n  - generate: {}\n",
            new Dictionary<string, IChatClient> { ["m"] = model });
        await pipeline.RunAsync("q");
        Assert.Equal(1, model.Calls.Single().Options!.MaxOutputTokens); // $0.01 at $10 per 1,000 output tokens
    }

    [Fact]
    public void The_cap_never_raises_what_the_technique_asked_for_and_copies_the_options()
    {
        var options = new ChatOptions { MaxOutputTokens = 100, Temperature = 0.5f };
        Assert.Same(options, Compose.Runtime.UsageBudgetChatClient.Capped(options, 1000));
        var capped = Compose.Runtime.UsageBudgetChatClient.Capped(options, 10)!;
        Assert.Equal(10, capped.MaxOutputTokens);
        Assert.Equal(0.5f, capped.Temperature);
        Assert.Equal(100, options.MaxOutputTokens);
        Assert.Null(Compose.Runtime.UsageBudgetChatClient.Capped(null, 10));
    }

    [Theory]
    [InlineData("vote: { extract: '(a+)+b' }", "vote extract")]
    [InlineData("verify: { check: { regex: '(a+)+b' }, on_none: keep_all }", "verify check")]
    public async Task A_catastrophic_user_regex_costs_at_most_the_question_budget_and_is_reported(string layer, string where)
    {
        var evil = new string('a', 40) + "!";
        var model = new TestModel((_, _) => evil);
        using var pipeline = PipelineHarness.Build(
            $"compose: 1\nname: r\nmodels: {{ m: {{ provider: instance }} }}\ndefaults: {{ model: m }}\nlayers:\n  - generate: {{ samples: 200 }}\n  - {layer}\n",
            new Dictionary<string, IChatClient> { ["m"] = model });
        var clock = Stopwatch.StartNew();
        var result = await pipeline.RunAsync("q");
        clock.Stop();

        Assert.True(clock.Elapsed < RegexTimeBudget.DefaultLimit + UserRegex.MatchTimeout * 4 + TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var warning = Assert.Single(result.Warnings);
        Assert.Contains(where, warning, StringComparison.Ordinal);
        Assert.Contains("(a+)+b", warning, StringComparison.Ordinal);
        Assert.Contains("skipped", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_extract_regex_that_times_out_is_reported_in_the_trace()
    {
        var model = new TestModel((_, _) => new string('a', 40) + "!");
        var trace = new ListTrace();
        using var pipeline = PipelineHarness.Build(
            "compose: 1\nname: r\nmodels: { m: { provider: instance } }\ndefaults: { model: m }\nlayers:\n  - generate: { samples: 3 }\noutput: { select: vote, extract: '(a+)+b' }\n",
            new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync("q", new RunOptions { Trace = trace });
        Assert.Contains(trace.Events.OfType<RunWarning>(), w => w.Message.Contains("output extract", StringComparison.Ordinal));
        Assert.NotEmpty(result.Warnings);
    }

    [Fact]
    public async Task A_fast_user_regex_gives_no_warning()
    {
        var model = new TestModel((_, _) => "answer: 42");
        using var pipeline = PipelineHarness.Build(
            "compose: 1\nname: r\nmodels: { m: { provider: instance } }\ndefaults: { model: m }\nlayers:\n  - generate: { samples: 50 }\n  - vote: { extract: 'answer: (\\d+)' }\n",
            new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync("q");
        Assert.Empty(result.Warnings);
        Assert.Equal("answer: 42", result.Answer);
    }

    private sealed class ListTrace : ITraceSink
    {
        public System.Collections.Concurrent.ConcurrentQueue<TraceEvent> Events { get; } = new();

        public void Write(TraceEvent traceEvent) => Events.Enqueue(traceEvent);
    }
}

/// <summary>A failure in one call of a question cancels the question's other calls.</summary>
public sealed class FirstFailureTests
{
    [Fact]
    public async Task The_first_failed_call_cancels_its_siblings_and_is_the_runs_error()
    {
        var model = new OneFailsOthersWait();
        using var pipeline = PipelineHarness.Build(
            "compose: 1\nname: f\nmodels: { m: { provider: instance } }\ndefaults: { model: m }\nlayers:\n  - [ { generate: { samples: 6 } }, { generate: { samples: 2, id: other } } ]\n",
            new Dictionary<string, IChatClient> { ["m"] = model });
        var clock = Stopwatch.StartNew();
        var result = await pipeline.RunAsync("q");
        clock.Stop();

        Assert.False(result.Succeeded);
        Assert.Contains("upstream said no", result.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the failed question waited {clock.Elapsed} for its siblings");
        Assert.Equal(7, model.Cancelled); // the 7 other calls were cancelled, not waited out
    }

    private sealed class OneFailsOthersWait : IChatClient
    {
        private int _calls;
        private int _cancelled;

        public int Cancelled => Volatile.Read(ref _cancelled);

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _calls) == 8)
            {
                throw new Compose.Models.ModelCallException("m", 400, 1, "m: HTTP 400 Bad Request (not retried): upstream said no");
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(60), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelled);
                throw;
            }

            return new ChatResponse(new ChatMessage(ChatRole.Assistant, "late"));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}

/// <summary>Bugs are bugs: only the failures a run expects become an ordinary failed run.</summary>
public sealed class ExpectedFailureTests
{
    [Fact]
    public async Task An_unexpected_exception_is_reported_as_an_internal_error()
    {
        var model = new TestModel((_, _) => throw new NullReferenceException("injected"));
        using var pipeline = PipelineHarness.Build("compose: 1\nname: bug\nmodels: { m: { provider: instance } }\ndefaults: { model: m }\nlayers:\n  - generate: {}\n",
            new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync("q");
        Assert.False(result.Succeeded);
        Assert.StartsWith("internal error (NullReferenceException): injected", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_call_that_failed_is_an_ordinary_failed_run_with_its_own_message()
    {
        var model = new TestModel((_, _) => throw new Compose.Models.ModelCallException("m", 401, 1, "m: HTTP 401 Unauthorized (not retried)"));
        using var pipeline = PipelineHarness.Build("compose: 1\nname: fail\nmodels: { m: { provider: instance } }\ndefaults: { model: m }\nlayers:\n  - generate: {}\n",
            new Dictionary<string, IChatClient> { ["m"] = model });
        var result = await pipeline.RunAsync("q");
        Assert.Equal("m: HTTP 401 Unauthorized (not retried)", result.Error);
    }
}
