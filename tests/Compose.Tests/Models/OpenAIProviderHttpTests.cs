using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Compose.Language;
using Compose.Models;
using Compose.Models.Providers;
using Microsoft.Extensions.AI;
using static Compose.Tests.Models.ModelTestKit;

namespace Compose.Tests.Models;

/// <summary>The real <c>openai</c> provider and retry middleware against a real HTTP server on 127.0.0.1.</summary>
[Collection(RunsAlone.Name)]
public sealed class OpenAIProviderHttpTests
{
    private static readonly ChatMessage[] Question = [new(ChatRole.User, "What is 2 + 2?")];

    [Fact]
    public async Task Exchange_maps_answer_usage_and_model_and_forwards_key_and_options()
    {
        await using var server = await FakeOpenAIServer.StartAsync(new ServerReply { Text = "It is 4." });
        var key = NewKey();
        using var client = Provider().Create(ServerSpec(server), Context(key));

        var response = await client.GetResponseAsync(
            Question,
            new ChatOptions { Temperature = 0.25f, MaxOutputTokens = 64, Seed = 42, StopSequences = ["\n\n", "END"] });

        Assert.Equal("It is 4.", response.Text);
        Assert.Equal(FakeOpenAIServer.ModelId, response.ModelId);
        Assert.Equal(FakeOpenAIServer.PromptTokens, response.Usage?.InputTokenCount);
        Assert.Equal(FakeOpenAIServer.CompletionTokens, response.Usage?.OutputTokenCount);
        Assert.Equal(FakeOpenAIServer.PromptTokens + FakeOpenAIServer.CompletionTokens, response.Usage?.TotalTokenCount);

        var request = Assert.Single(server.Requests);
        Assert.Equal($"Bearer {key}", request.Authorization);
        var body = request.Body;
        Assert.Equal("test-model", body["model"]?.GetValue<string>());
        Assert.Equal(0.25, body["temperature"]!.GetValue<double>(), 3);
        Assert.Equal(64, body["max_tokens"]!.GetValue<int>());
        Assert.Null(body["max_completion_tokens"]);
        Assert.Equal(42, body["seed"]!.GetValue<long>());
        Assert.Equal(["\n\n", "END"], body["stop"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("What is 2 + 2?", body["messages"]![0]!["content"]!.ToString());
    }

    [Fact]
    public async Task Max_tokens_field_can_be_the_new_one()
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        using var client = Provider().Create(
            ServerSpec(server, "gpt", ("max_tokens_field", "max_completion_tokens")), Context(NewKey()));

        await client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 33 });

        var body = Assert.Single(server.Requests).Body;
        Assert.Equal(33, body["max_completion_tokens"]!.GetValue<int>());
        Assert.Null(body["max_tokens"]);
    }

    [Fact]
    public async Task Streaming_yields_the_chunks_and_usage()
    {
        await using var server = await FakeOpenAIServer.StartAsync(new ServerReply { Text = "Two plus two is four." });
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question))
        {
            updates.Add(update);
        }

        var response = updates.ToChatResponse();
        Assert.Equal("Two plus two is four.", response.Text);
        Assert.True(updates.Count(u => u.Text.Length > 0) >= 5);
        Assert.Equal(FakeOpenAIServer.CompletionTokens, response.Usage?.OutputTokenCount);
        Assert.True(Assert.Single(server.Requests).Body["stream"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Retries_429_with_retry_after_and_500_then_succeeds()
    {
        await using var server = await FakeOpenAIServer.StartAsync(
            ServerReply.Error(429, retryAfter: "5"),
            ServerReply.Error(500),
            new ServerReply { Text = "third time lucky" });
        var (logs, captured) = CapturingLoggerProvider.CreateFactory();
        using (logs)
        {
            using var client = Provider().Create(ServerSpec(server), Context(NewKey(), logs));

            var response = await client.GetResponseAsync(Question);

            Assert.Equal("third time lucky", response.Text);
            Assert.Equal(3, server.Requests.Count);
            var retries = captured.Entries.Where(e => e.EventId.Id == 3500).ToList();
            Assert.Equal(2, retries.Count);
            Assert.Equal(429, retries[0].Values["Status"]);
            Assert.Equal(1, retries[0].Values["Attempt"]);

            // Retry-After: 5 s is honoured but capped at MaxDelay (40 ms).
            Assert.Equal(40L, retries[0].Values["DelayMs"]);
            Assert.Equal(500, retries[1].Values["Status"]);
            Assert.Equal("gpt: attempt 2 of 4 failed (HTTP 500 Internal Server Error, status 500); retrying in " + retries[1].Values["DelayMs"] + " ms", retries[1].Message);
        }
    }

    [Fact]
    public async Task Exhausted_retries_end_in_an_actionable_ModelCallException()
    {
        await using var server = await FakeOpenAIServer.StartAsync(
            Enumerable.Repeat(ServerReply.Error(429), 4).ToArray());
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        var error = await Assert.ThrowsAsync<ModelCallException>(() => client.GetResponseAsync(Question));

        Assert.Equal(
            $"gpt ({Endpoint(server)}): HTTP 429 Too Many Requests after 4 attempts: something went wrong; lower concurrency or raise max_retries",
            error.Message);
        Assert.Equal("gpt", error.ModelName);
        Assert.Equal(429, error.Status);
        Assert.Equal(4, error.Attempts);
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public async Task Max_retries_from_the_spec_bounds_the_attempts()
    {
        await using var server = await FakeOpenAIServer.StartAsync(
            ServerReply.Error(503), ServerReply.Error(503), ServerReply.Error(503));
        using var client = Provider().Create(ServerSpec(server, "gpt", ("max_retries", "1")), Context(NewKey()));

        var error = await Assert.ThrowsAsync<ModelCallException>(() => client.GetResponseAsync(Question));

        Assert.Equal(2, error.Attempts);
        Assert.Equal(503, error.Status);
        Assert.Equal(2, server.Requests.Count);
        Assert.StartsWith($"gpt ({Endpoint(server)}): HTTP 503 Service Unavailable after 2 attempts: something went wrong;", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_server_times_out_per_attempt_is_retried_then_fails_cleanly()
    {
        var slow = new ServerReply { Delay = TimeSpan.FromSeconds(5) };
        await using var server = await FakeOpenAIServer.StartAsync(slow, slow, slow);
        using var client = Provider().Create(
            ServerSpec(server, "gpt", ("timeout_seconds", "0.2"), ("max_retries", "1")), Context(NewKey()));

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ModelCallException>(() => client.GetResponseAsync(Question));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        Assert.Null(error.Status);
        Assert.Equal(2, error.Attempts);
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(
            $"gpt ({Endpoint(server)}): no response within 0.2 s after 2 attempts; raise timeout_seconds or use a faster or less loaded server",
            error.Message);
    }

    [Fact]
    public async Task Bad_request_is_not_retried_and_says_what_the_server_said()
    {
        await using var server = await FakeOpenAIServer.StartAsync(
            ServerReply.Error(400, message: "temperature must be at most 2"));
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        var error = await Assert.ThrowsAsync<ModelCallException>(
            () => client.GetResponseAsync(Question, new ChatOptions { Temperature = 5 }));

        Assert.Single(server.Requests);
        Assert.Equal(400, error.Status);
        Assert.Equal(1, error.Attempts);
        Assert.Contains("HTTP 400 Bad Request (not retried): temperature must be at most 2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task Other_client_errors_are_not_retried(int status)
    {
        await using var server = await FakeOpenAIServer.StartAsync(ServerReply.Error(status), ServerReply.Error(status));
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        var error = await Assert.ThrowsAsync<ModelCallException>(() => client.GetResponseAsync(Question));

        Assert.Single(server.Requests);
        Assert.Equal(status, error.Status);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_retried()
    {
        await using var server = await FakeOpenAIServer.StartAsync(
            new ServerReply { Delay = TimeSpan.FromSeconds(5) }, new ServerReply { Delay = TimeSpan.FromSeconds(5) });
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(Question, cancellationToken: cancel.Token));

        await Task.Delay(100);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Streaming_is_retried_before_the_first_update()
    {
        await using var server = await FakeOpenAIServer.StartAsync(
            ServerReply.Error(502), new ServerReply { Text = "streamed after a retry" });
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        var text = "";
        await foreach (var update in client.GetStreamingResponseAsync(Question))
        {
            text += update.Text;
        }

        Assert.Equal("streamed after a retry", text);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Streaming_waits_for_the_first_update_only_as_long_as_the_timeout()
    {
        var slow = new ServerReply { Delay = TimeSpan.FromSeconds(5) };
        await using var server = await FakeOpenAIServer.StartAsync(slow, slow);
        using var client = Provider().Create(
            ServerSpec(server, "gpt", ("timeout_seconds", "0.2"), ("max_retries", "1")), Context(NewKey()));

        var error = await Assert.ThrowsAsync<ModelCallException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Question))
            {
                Assert.Fail("no update expected");
            }
        });

        Assert.Equal(2, error.Attempts);
        Assert.Equal(2, server.Requests.Count);
        Assert.StartsWith($"gpt ({Endpoint(server)}): no response within 0.2 s after 2 attempts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_is_not_retried_after_the_first_update()
    {
        await using var server = await FakeOpenAIServer.StartAsync(
            new ServerReply { Text = "one two three four", AbortAfterChunks = 2 }, ServerReply.Ok);
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        var received = new List<string>();
        var error = await Assert.ThrowsAsync<ModelCallException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Question))
            {
                received.Add(update.Text);
            }
        });

        Assert.Contains("one", string.Concat(received), StringComparison.Ordinal);
        Assert.Contains("stream broke off", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Network_errors_are_retried_then_reported()
    {
        // A port that was free a moment ago: connections are refused.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var spec = Spec("local", ("model", "m"), ("base_url", $"http://127.0.0.1:{port}/v1"), ("max_retries", "2"));
        using var client = Provider().Create(spec, Context());

        var error = await Assert.ThrowsAsync<ModelCallException>(() => client.GetResponseAsync(Question));

        Assert.Equal(3, error.Attempts);
        Assert.Null(error.Status);
        Assert.StartsWith($"local (http://127.0.0.1:{port}/v1): could not reach the server (network error: connection refused)", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("after 3 attempts; check base_url and that the server is running", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_server_without_key_gets_the_placeholder()
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        var spec = Spec("local", ("model", "m"), ("base_url", server.BaseUrl.ToString()));
        using var client = Provider().Create(spec, Context());

        await client.GetResponseAsync(Question);

        Assert.Equal($"Bearer {OpenAIModelProvider.NoKeyPlaceholder}", Assert.Single(server.Requests).Authorization);
    }

    [Fact]
    public void Creating_with_the_key_variable_unset_is_an_error()
    {
        var spec = Spec("gpt", ("model", "m"), ("base_url", "http://127.0.0.1:9/v1"), ("api_key_env", KeyVariable));

        var error = Assert.Throws<DiagnosticException>(() => Provider().Create(spec, Context(key: null)));

        var diagnostic = Assert.Single(error.Diagnostics);
        Assert.Equal("CMP355", diagnostic.Code);
        Assert.True(diagnostic.IsError);
        Assert.Contains(KeyVariable, diagnostic.Message, StringComparison.Ordinal);
    }

    private static string Endpoint(FakeOpenAIServer server) => server.BaseUrl.ToString().TrimEnd('/');
}
