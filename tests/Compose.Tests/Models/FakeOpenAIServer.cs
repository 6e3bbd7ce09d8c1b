using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Compose.Tests.Models;

/// <summary>What the fake server answers to one request.</summary>
internal sealed record ServerReply
{
    public static ServerReply Ok { get; } = new();

    public int Status { get; init; } = 200;

    /// <summary>The <c>Retry-After</c> header, if any.</summary>
    public string? RetryAfter { get; init; }

    /// <summary>How long to wait before answering.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>The assistant's answer (success replies).</summary>
    public string Text { get; init; } = "Hello from the fake server.";

    /// <summary>The error message in <c>{"error":{"message":...}}</c> (error replies).</summary>
    public string ErrorMessage { get; init; } = "something went wrong";

    /// <summary>Streaming only: abort the connection after this many content chunks.</summary>
    public int? AbortAfterChunks { get; init; }

    /// <summary>Writes the whole response itself (status, headers, body), for hostile replies; the rest is ignored.</summary>
    public Func<HttpResponse, CancellationToken, Task>? Custom { get; init; }

    /// <summary>A reply with exactly this status, content type and body.</summary>
    public static ServerReply Raw(int status, string? contentType, byte[] body) => new()
    {
        Custom = async (response, ct) =>
        {
            response.StatusCode = status;
            if (contentType is not null)
            {
                response.ContentType = contentType;
            }

            await response.Body.WriteAsync(body, ct);
        },
    };

    public static ServerReply Raw(int status, string? contentType, string body) => Raw(status, contentType, System.Text.Encoding.UTF8.GetBytes(body));

    /// <summary>
    /// A body of <paramref name="totalBytes"/> generated on the fly (never held in memory): <paramref name="prefix"/>,
    /// then <paramref name="filler"/> repeated, written in 64 KiB pieces until the client stops reading.
    /// </summary>
    public static ServerReply Lazy(string contentType, string prefix, string filler, long totalBytes, bool declareLength = false) => new()
    {
        Custom = async (response, ct) =>
        {
            response.StatusCode = 200;
            response.ContentType = contentType;
            if (declareLength)
            {
                response.ContentLength = totalBytes;
            }

            var head = System.Text.Encoding.UTF8.GetBytes(prefix);
            var unit = System.Text.Encoding.UTF8.GetBytes(filler);
            var piece = new byte[64 * 1024 / unit.Length * unit.Length];
            for (var i = 0; i < piece.Length; i += unit.Length)
            {
                unit.CopyTo(piece, i);
            }

            await response.Body.WriteAsync(head, ct);
            for (var written = (long)head.Length; written < totalBytes; written += piece.Length)
            {
                await response.Body.WriteAsync(piece.AsMemory(0, (int)Math.Min(piece.Length, totalBytes - written)), ct);
            }
        },
    };

    public static ServerReply Error(int status, string? retryAfter = null, string message = "something went wrong") =>
        new() { Status = status, RetryAfter = retryAfter, ErrorMessage = message };
}

/// <summary>One request the fake server received.</summary>
internal sealed record RecordedRequest(string Path, string? Authorization, JsonObject Body);

/// <summary>
/// A minimal OpenAI-compatible endpoint on 127.0.0.1 (free port): POST /v1/chat/completions answering with
/// a chat.completion (or SSE chunks when <c>stream: true</c>). Replies are scripted in order, then 200 OK.
/// Serves at most <see cref="MaxRequests"/> requests and stops by itself after <see cref="Lifetime"/>.
/// </summary>
internal sealed class FakeOpenAIServer : IAsyncDisposable
{
    public const int MaxRequests = 50;
    public const int PromptTokens = 11;
    public const int CompletionTokens = 7;
    public const string ModelId = "fake-model-001";

    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentQueue<ServerReply> _replies;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly CancellationTokenSource _stop = new();
    private WebApplication? _app;
    private Task? _autoStop;
    private int _count;

    private FakeOpenAIServer(IEnumerable<ServerReply> replies) => _replies = new(replies);

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<FakeOpenAIServer> StartAsync(params ServerReply[] replies)
    {
        var server = new FakeOpenAIServer(replies);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server._app = app;
        server.BaseUrl = new Uri(app.Urls.First() + "/v1");
        server._autoStop = server.StopLaterAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_autoStop is not null)
        {
            await _autoStop;
        }

        _stop.Dispose();
    }

    private async Task StopLaterAsync()
    {
        try
        {
            await Task.Delay(Lifetime, _stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app!.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        if (Interlocked.Increment(ref _count) > MaxRequests)
        {
            context.Response.StatusCode = 503;
            return;
        }

        if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path != "/v1/chat/completions")
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsJsonAsync(new { error = new { message = $"no route {context.Request.Path}" } }, aborted);
            return;
        }

        var body = (JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync(aborted)) as JsonObject) ?? [];
        _requests.Enqueue(new RecordedRequest(context.Request.Path, context.Request.Headers.Authorization.ToString(), body));
        var reply = _replies.TryDequeue(out var next) ? next : ServerReply.Ok;

        try
        {
            if (reply.Delay > TimeSpan.Zero)
            {
                await Task.Delay(reply.Delay, aborted);
            }

            if (reply.Custom is not null)
            {
                await reply.Custom(context.Response, aborted);
                return;
            }

            if (reply.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = reply.RetryAfter;
            }

            if (reply.Status != 200)
            {
                context.Response.StatusCode = reply.Status;
                await context.Response.WriteAsJsonAsync(
                    new { error = new { message = reply.ErrorMessage, type = "test_error", code = (string?)null } }, aborted);
                return;
            }

            if (body["stream"]?.GetValue<bool>() == true)
            {
                await StreamAsync(context, reply, aborted);
                return;
            }

            await context.Response.WriteAsJsonAsync(Completion(reply.Text), aborted);
        }
        catch (OperationCanceledException)
        {
            // The client gave up (timeout or cancellation).
        }
        catch (IOException)
        {
            // The client closed the connection in the middle of a (hostile) body.
        }
    }

    private static object Completion(string text) => new
    {
        id = "chatcmpl-test",
        @object = "chat.completion",
        created = 1_700_000_000,
        model = ModelId,
        choices = new[]
        {
            new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop", logprobs = (object?)null },
        },
        usage = new { prompt_tokens = PromptTokens, completion_tokens = CompletionTokens, total_tokens = PromptTokens + CompletionTokens },
    };

    private static async Task StreamAsync(HttpContext context, ServerReply reply, CancellationToken aborted)
    {
        context.Response.ContentType = "text/event-stream";
        var words = reply.Text.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            if (reply.AbortAfterChunks == i)
            {
                // Let the chunks reach the client before the connection drops.
                await Task.Delay(TimeSpan.FromMilliseconds(150), aborted);
                context.Abort();
                return;
            }

            var delta = i == 0
                ? new JsonObject { ["role"] = "assistant", ["content"] = words[i] }
                : new JsonObject { ["content"] = " " + words[i] };
            await WriteEventAsync(context, Chunk(new JsonArray(Choice(delta, null))), aborted);
        }

        await WriteEventAsync(context, Chunk(new JsonArray(Choice([], "stop"))), aborted);
        var usage = Chunk([]);
        usage["usage"] = new JsonObject
        {
            ["prompt_tokens"] = PromptTokens,
            ["completion_tokens"] = CompletionTokens,
            ["total_tokens"] = PromptTokens + CompletionTokens,
        };
        await WriteEventAsync(context, usage, aborted);
        await context.Response.WriteAsync("data: [DONE]\n\n", aborted);
        await context.Response.Body.FlushAsync(aborted);

        JsonObject Chunk(JsonArray choices) => new()
        {
            ["id"] = "chatcmpl-test",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1_700_000_000,
            ["model"] = ModelId,
            ["choices"] = choices,
        };

        static JsonObject Choice(JsonObject delta, string? finish) => new()
        {
            ["index"] = 0,
            ["delta"] = delta,
            ["finish_reason"] = finish,
        };
    }

    private static async Task WriteEventAsync(HttpContext context, JsonObject data, CancellationToken aborted)
    {
        await context.Response.WriteAsync("data: " + data.ToJsonString() + "\n\n", aborted);
        await context.Response.Body.FlushAsync(aborted);
    }
}
