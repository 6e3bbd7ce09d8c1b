using System.Diagnostics;
using System.Text;
using Compose.Models;
using Microsoft.Extensions.AI;
using Xunit.Abstractions;
using static Compose.Tests.Models.ModelTestKit;

namespace Compose.Tests.Models;

/// <summary>
/// The <c>openai</c> provider against a real HTTP server on 127.0.0.1 that answers with hostile or broken replies:
/// every one ends in a <see cref="ModelCallException"/> that names the model and the endpoint, says what was wrong,
/// quotes the server's own message when it sent one, shows no .NET type names or stack traces, and comes quickly.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class HostileUpstreamTests(ITestOutputHelper output)
{
    private static readonly ChatMessage[] Question = [new(ChatRole.User, "What is 2 + 2?")];

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private const string Ok = """{"id":"c","object":"chat.completion","created":1700000000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"4"},"finish_reason":"stop"}]""";

    private const string Chunk = """data: {"id":"c","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}""";

    /// <summary>A hostile reply, whether it is asked for with streaming, what the message must say and the server's message it must quote.</summary>
    private sealed record Case(ServerReply Reply, bool Stream, string Problem, string? Upstream = null, int? Status = 200, (string Key, string Value)[]? Options = null);

    private static ServerReply Json(string body) => ServerReply.Raw(200, "application/json", body);

    private static ServerReply Events(params string[] lines) => ServerReply.Raw(200, "text/event-stream", string.Join("\n", lines) + "\n\n");

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Non-streaming: not JSON at all.
        ["garbage"] = new(Json("{not json at all"), false, "sent a reply that is not valid JSON", "{not json at all"),
        ["truncated json"] = new(Json("""{"id":"c","choices":[{"message":{"content":"hi"""), false, "not valid JSON"),
        ["empty body"] = new(Json(""), false, "sent an empty reply"),
        ["blank body"] = new(Json(" \r\n\t "), false, "sent an empty reply"),
        ["json null"] = new(Json("null"), false, "not an object"),
        ["json array"] = new(Json("[1,2,3]"), false, "not an object"),
        ["json string"] = new(Json("\"hello\""), false, "not an object"),
        ["deeply nested"] = new(Json(new string('[', 10_000) + new string(']', 10_000)), false, "not valid JSON"),
        ["plain text"] = new(ServerReply.Raw(200, "text/plain", "Upstream model crashed: CUDA out of memory"), false, "not valid JSON", "Upstream model crashed: CUDA out of memory"),
        ["html page"] = new(ServerReply.Raw(200, "text/html", "<html><head><title>Sign in to the proxy</title></head><body>...</body></html>"), false, "sent an HTML page", "Sign in to the proxy"),
        ["html without type"] = new(ServerReply.Raw(200, null, "<!DOCTYPE html><html><body>It works!</body></html>"), false, "sent an HTML page"),
        ["event stream asked json"] = new(ServerReply.Raw(200, "text/event-stream", Chunk + "\n\ndata: [DONE]\n\n"), false, "event stream where a JSON reply was asked"),
        ["event stream labelled json"] = new(Json(Chunk + "\n\n"), false, "event stream where a JSON reply was asked"),
        ["nul bytes"] = new(Json("{\"choices\":[{\"message\":{\"content\":\"a\0b\"}}]}"), false, "not valid JSON"),
        ["escaped nul"] = new(Json("""{"choices":[{"message":{"role":"assistant","content":"a\u0000b"}}]}"""), false, "NUL characters"),
        ["invalid utf8"] = new(ServerReply.Raw(200, "application/json", [.. "{\"choices\":[{\"message\":{\"content\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}}]}"u8]), false, "not valid UTF-8"),

        // Non-streaming: JSON, but not a chat completion.
        ["no choices"] = new(Json("""{"id":"c","object":"chat.completion"}"""), false, "without a 'choices' list"),
        ["empty choices"] = new(Json("""{"id":"c","object":"chat.completion","choices":[]}"""), false, "no choices"),
        ["null choices"] = new(Json("""{"choices":null}"""), false, "without a 'choices' list"),
        ["choices not a list"] = new(Json("""{"choices":"four"}"""), false, "without a 'choices' list"),
        ["choice without message"] = new(Json("""{"choices":[{"index":0,"finish_reason":"stop"}]}"""), false, "choice without a 'message'"),
        ["message is text"] = new(Json("""{"choices":[{"message":"4"}]}"""), false, "choice without a 'message'"),
        ["message without content"] = new(Json("""{"choices":[{"message":{"role":"assistant"}}]}"""), false, "has no 'content'"),
        ["content is a number"] = new(Json("""{"choices":[{"message":{"role":"assistant","content":4}}]}"""), false, "'content' that is not text"),
        ["content is an object"] = new(Json("""{"choices":[{"message":{"role":"assistant","content":{"text":"4"}}}]}"""), false, "'content' that is not text"),
        ["200 with error object"] = new(Json("""{"error":{"message":"The model is overloaded, try later","type":"server_error"}}"""), false, "answered HTTP 200 with an error", "The model is overloaded, try later"),
        ["200 with error string"] = new(Json("""{"error":"quota exceeded for this month"}"""), false, "answered HTTP 200 with an error", "quota exceeded for this month"),
        ["200 with error and choices"] = new(Json("""{"error":{"message":"partial failure"},"choices":[{"message":{"content":"4"}}]}"""), false, "answered HTTP 200 with an error", "partial failure"),
        ["detail only"] = new(Json("""{"detail":"Not authenticated"}"""), false, "without a 'choices' list", "Not authenticated"),

        // Non-streaming: too large.
        ["200 MB content"] = new(ServerReply.Lazy("application/json", """{"choices":[{"message":{"role":"assistant","content":" """, "aaaaaaaa", 200L * 1024 * 1024), false, "larger than 32 MiB (max_response_bytes)"),
        ["declared 3 GB"] = new(ServerReply.Lazy("application/json", "{", " ", 3L * 1024 * 1024 * 1024, declareLength: true), false, "larger than 32 MiB"),
        ["over a small cap"] = new(Json(Ok[..^1] + ",\"pad\":\"" + new string('p', 8000) + "\"}"), false, "larger than 4 KiB (max_response_bytes)", Options: [("max_response_bytes", "4KiB")]),
        ["huge error body"] = new(ServerReply.Lazy("application/json", """{"error":{"message":" """, "e", 64L * 1024 * 1024), false, "larger than 32 MiB"),

        // Error statuses: the server's own message is quoted, from JSON or text.
        ["401 plain text"] = new(ServerReply.Raw(401, "text/plain", "Unauthorized: invalid token"), false, "HTTP 401 Unauthorized (not retried)", "Unauthorized: invalid token", 401),
        ["400 detail"] = new(ServerReply.Raw(400, "application/json", """{"detail":"max_tokens must be at most 4096"}"""), false, "HTTP 400 Bad Request (not retried)", "max_tokens must be at most 4096", 400),
        ["422 html"] = new(ServerReply.Raw(422, "text/html", "<html><title>Unprocessable</title></html>"), false, "HTTP 422", "Unprocessable", 422),

        // Streaming asked, something else sent.
        ["json where stream asked"] = new(Json(Ok + "}"), true, "sent a JSON reply where an event stream (text/event-stream) was asked"),
        ["json error where stream asked"] = new(Json("""{"error":{"message":"streaming is disabled on this deployment"}}"""), true, "where an event stream", "streaming is disabled on this deployment"),
        ["html where stream asked"] = new(ServerReply.Raw(200, "text/html", "<html><title>Gateway</title></html>"), true, "HTML page where an event stream was asked", "Gateway"),
        ["empty where stream asked"] = new(ServerReply.Raw(200, "application/json", ""), true, "empty reply where an event stream was asked"),

        // Broken event streams.
        ["broken sse line"] = new(Events("this is not an event stream line", Chunk), true, "broken line", "this is not an event stream line"),
        ["unknown sse field"] = new(Events("payload: {}", Chunk), true, "broken line"),
        ["sse garbage json"] = new(Events("data: {not json"), true, "event whose data is not valid JSON"),
        ["sse truncated chunk"] = new(Events(Chunk[..40]), true, "not valid JSON"),
        ["sse array"] = new(Events("data: [1,2]"), true, "not a JSON object"),
        ["sse error first"] = new(Events("""data: {"error":{"message":"Rate limit reached for requests"}}"""), true, "error in the event stream", "Rate limit reached for requests"),
        ["sse error after text"] = new(Events(Chunk, "", Chunk, "", """data: {"error":{"message":"The server had an error while processing your request"}}"""), true, "error in the event stream", "The server had an error while processing your request"),
        ["sse no data"] = new(ServerReply.Raw(200, "text/event-stream", ": keep-alive\n\n: keep-alive\n\n"), true, "ended without any data"),
        ["sse empty"] = new(ServerReply.Raw(200, "text/event-stream", ""), true, "ended without any data"),
        ["sse invalid utf8"] = new(ServerReply.Raw(200, "text/event-stream", [.. "data: {\"choices\":[{\"delta\":{\"content\":\""u8, 0xFF, 0xFE, .. "\"}}]}\n\n"u8]), true, "not valid UTF-8"),
        ["sse choices not a list"] = new(Events("""data: {"choices":"x"}"""), true, "'choices' is not a list"),
        ["sse delta not object"] = new(Events("""data: {"choices":[{"index":0,"delta":"x"}]}"""), true, "broken choice"),
        ["sse nul content"] = new(Events("""data: {"choices":[{"index":0,"delta":{"content":"a\u0000b"}}]}"""), true, "NUL characters"),
        ["sse not a chunk"] = new(Events("""data: {"hello":"world"}"""), true, "neither 'choices' nor 'usage'"),
        ["sse 3 GB"] = new(ServerReply.Lazy("text/event-stream", "", Chunk + "\n\n", 3L * 1024 * 1024 * 1024), true, "larger than 32 MiB"),
        ["sse one giant line"] = new(ServerReply.Lazy("text/event-stream", "data: {\"choices\":[{\"delta\":{\"content\":\"", "bbbbbbbb", 200L * 1024 * 1024), true, "larger than 32 MiB"),
        ["sse over a small cap"] = new(ServerReply.Lazy("text/event-stream", "", Chunk + "\n\n", 1024 * 1024), true, "larger than 64 KiB", Options: [("max_response_bytes", "65536")]),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Fact]
    public void The_corpus_has_at_least_35_hostile_replies()
    {
        Assert.True(Cases.Count >= 35, $"{Cases.Count} cases");
        Assert.Contains(Cases.Values, c => c.Stream);
        Assert.Contains(Cases.Values, c => !c.Stream);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task A_hostile_reply_ends_in_a_clean_ModelCallException(string name)
    {
        var hostile = Cases[name];
        await using var server = await FakeOpenAIServer.StartAsync(hostile.Reply, hostile.Reply, hostile.Reply, hostile.Reply);
        using var client = Provider().Create(ServerSpec(server, "gpt", hostile.Options ?? []), Context(NewKey()));
        var endpoint = server.BaseUrl.ToString().TrimEnd('/');

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ModelCallException>(async () =>
        {
            if (hostile.Stream)
            {
                await foreach (var update in client.GetStreamingResponseAsync(Question))
                {
                }
            }
            else
            {
                await client.GetResponseAsync(Question);
            }
        });
        watch.Stop();

        var message = error.Message;
        Assert.True(watch.Elapsed < Bound, $"{name}: took {watch.Elapsed}");
        Assert.StartsWith($"gpt ({endpoint}): ", message, StringComparison.Ordinal);
        Assert.True(message.Contains(hostile.Problem, StringComparison.Ordinal), $"{name}: {message}");
        if (hostile.Upstream is { } upstream)
        {
            Assert.True(message.Contains(upstream, StringComparison.Ordinal), $"{name}: {message}");
        }

        Assert.Equal("gpt", error.ModelName);
        Assert.Equal(hostile.Status, error.Status);
        AssertClean(message);

        // Not retried: the same server would send the same reply again.
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Implausible_usage_is_unknown_not_a_crash()
    {
        var replies = new[]
        {
            """{"prompt_tokens":-5,"completion_tokens":-7,"total_tokens":-12}""",
            """{"prompt_tokens":1e30,"completion_tokens":99999999999999999999,"total_tokens":1.5}""",
            """{"prompt_tokens":"eleven","completion_tokens":7,"total_tokens":18}""",
            """{"prompt_tokens":11,"completion_tokens":7,"completion_tokens_details":{"reasoning_tokens":-1}}""",
            "[1,2]",
        }.Select(usage => Json(Ok + ",\"usage\":" + usage + "}")).ToArray();
        await using var server = await FakeOpenAIServer.StartAsync(replies);
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        foreach (var _ in replies)
        {
            var response = await client.GetResponseAsync(Question);

            Assert.Equal("4", response.Text);
            Assert.Null(response.Usage?.InputTokenCount);
            Assert.Null(response.Usage?.OutputTokenCount);
        }
    }

    [Fact]
    public async Task Implausible_usage_in_a_stream_is_unknown_not_a_crash()
    {
        await using var server = await FakeOpenAIServer.StartAsync(Events(
            Chunk, "", """data: {"id":"c","object":"chat.completion.chunk","created":1e40,"model":"m","choices":[],"usage":{"prompt_tokens":-3,"completion_tokens":1e300,"total_tokens":5}}""", "", "data: [DONE]"));
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(Question))
        {
            updates.Add(update);
        }

        var response = updates.ToChatResponse();
        Assert.Equal("x", response.Text);
        Assert.True(response.Usage?.InputTokenCount is null or 0);
        Assert.True(response.Usage?.OutputTokenCount is null or 0);
    }

    [Fact]
    public async Task An_answer_echoing_the_key_has_it_masked_streaming_or_not()
    {
        var key = NewKey();
        var echo = $"Your key is {key.ToUpperInvariant()} and it starts {key[..10]}";
        await using var server = await FakeOpenAIServer.StartAsync(new ServerReply { Text = echo }, new ServerReply { Text = echo });
        using var client = Provider().Create(ServerSpec(server), Context(key));

        var answer = (await client.GetResponseAsync(Question)).Text;
        var streamed = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync(Question))
        {
            streamed.Append(update.Text);
        }

        Assert.Equal("Your key is *** and it starts ***", answer);
        Assert.Equal("Your key is *** and it starts ***", streamed.ToString());
    }

    [Fact]
    public async Task A_redirect_is_not_followed()
    {
        var redirect = new ServerReply
        {
            Custom = (response, _) =>
            {
                response.StatusCode = 307;
                response.Headers.Location = "http://127.0.0.1:9/v1/chat/completions";
                return Task.CompletedTask;
            },
        };
        await using var server = await FakeOpenAIServer.StartAsync(redirect);
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        var error = await Assert.ThrowsAsync<ModelCallException>(() => client.GetResponseAsync(Question));

        Assert.Equal(307, error.Status);
        Assert.Contains("HTTP 307 Temporary Redirect (not retried); the server redirects elsewhere", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_plausible_large_reply_under_the_cap_still_works()
    {
        var text = new string('w', 2 * 1024 * 1024);
        await using var server = await FakeOpenAIServer.StartAsync(new ServerReply { Text = text });
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        var response = await client.GetResponseAsync(Question);

        Assert.Equal(text, response.Text);
        Assert.Equal(FakeOpenAIServer.CompletionTokens, response.Usage?.OutputTokenCount);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task A_3_GB_reply_keeps_memory_bounded(bool stream, bool declareLength)
    {
        const long ThreeGB = 3L * 1024 * 1024 * 1024;
        var reply = stream
            ? ServerReply.Lazy("text/event-stream", "", Chunk + "\n\n", ThreeGB)
            : ServerReply.Lazy("application/json", """{"choices":[{"message":{"role":"assistant","content":" """, "aaaaaaaa", ThreeGB, declareLength);
        await using var server = await FakeOpenAIServer.StartAsync(reply);
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        long peak = before;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                await Task.Delay(5);
            }
        });

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ModelCallException>(async () =>
        {
            if (stream)
            {
                await foreach (var update in client.GetStreamingResponseAsync(Question))
                {
                }
            }
            else
            {
                await client.GetResponseAsync(Question);
            }
        });
        await stop.CancelAsync();
        await sampler;

        Assert.True(error.Message.Contains("larger than 32 MiB (max_response_bytes)", StringComparison.Ordinal), error.Message);
        Assert.True(watch.Elapsed < Bound, $"took {watch.Elapsed}");
        var grew = peak - before;
        output.WriteLine($"stream: {stream}, declared length: {declareLength}: managed memory grew by {grew / (1024 * 1024)} MiB at most, {watch.Elapsed}");
        Assert.True(grew < 200L * 1024 * 1024, $"managed memory grew by {grew / (1024 * 1024)} MiB");
    }

    internal static void AssertClean(string text)
    {
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Object reference", text, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePosition", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\0", text, StringComparison.Ordinal);
    }
}
