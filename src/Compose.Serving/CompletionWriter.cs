using System.Text.Json.Nodes;
using Compose.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Compose.Serving;

/// <summary>Writes one chat completion in OpenAI's wire format: a JSON object, or server-sent event chunks ending in <c>[DONE]</c>.</summary>
internal sealed class CompletionWriter(HttpResponse response, string model)
{
    private readonly string _id = "chatcmpl-" + Guid.NewGuid().ToString("N");
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public async Task<Usage> WriteAsync(ChatResponse answer, CancellationToken cancellationToken)
    {
        var usage = UsageOf(answer.Usage, answer.AdditionalProperties);
        var body = new JsonObject
        {
            ["id"] = _id,
            ["object"] = "chat.completion",
            ["created"] = _created,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = answer.Text },
                ["finish_reason"] = FinishReason(answer.FinishReason),
            }),
            ["usage"] = UsageJson(usage),
        };
        response.ContentType = "application/json";
        await response.WriteAsync(body.ToJsonString(OpenAIError.Json), cancellationToken).ConfigureAwait(false);
        return usage;
    }

    public async Task<Usage> StreamAsync(IAsyncEnumerable<ChatResponseUpdate> updates, CancellationToken cancellationToken)
    {
        await using var enumerator = updates.GetAsyncEnumerator(cancellationToken);

        // Run up to the first update before answering, so a pipeline that fails early gets a plain error response.
        var more = await enumerator.MoveNextAsync().ConfigureAwait(false);
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await WriteEventAsync(Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null), cancellationToken).ConfigureAwait(false);

        var usage = Usage.Zero;
        ChatFinishReason? finish = null;
        for (; more; more = await enumerator.MoveNextAsync().ConfigureAwait(false))
        {
            var update = enumerator.Current;
            if (update.Text is { Length: > 0 } text)
            {
                await WriteEventAsync(Chunk(new JsonObject { ["content"] = text }, null), cancellationToken).ConfigureAwait(false);
            }

            foreach (var u in update.Contents.OfType<UsageContent>())
            {
                usage = UsageOf(u.Details, update.AdditionalProperties);
            }

            finish = update.FinishReason ?? finish;
        }

        await WriteEventAsync(Chunk(new JsonObject(), FinishReason(finish)), cancellationToken).ConfigureAwait(false);
        var usageChunk = Envelope();
        usageChunk["choices"] = new JsonArray();
        usageChunk["usage"] = UsageJson(usage);
        await WriteEventAsync(usageChunk, cancellationToken).ConfigureAwait(false);
        await response.WriteAsync("data: [DONE]\n\n", cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        return usage;
    }

    /// <summary>An error after the stream began: one event with OpenAI's error object, then the stream ends.</summary>
    public Task WriteErrorEventAsync(OpenAIError error, CancellationToken cancellationToken) => WriteEventAsync(error.ToJson(), cancellationToken);

    private async Task WriteEventAsync(JsonObject data, CancellationToken cancellationToken)
    {
        await response.WriteAsync("data: " + data.ToJsonString(OpenAIError.Json) + "\n\n", cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private JsonObject Envelope() => new()
    {
        ["id"] = _id,
        ["object"] = "chat.completion.chunk",
        ["created"] = _created,
        ["model"] = model,
    };

    private JsonObject Chunk(JsonObject delta, string? finishReason)
    {
        var chunk = Envelope();
        chunk["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason });
        return chunk;
    }

    private static string FinishReason(ChatFinishReason? reason) => reason == ChatFinishReason.Length ? "length" : "stop";

    private static Usage UsageOf(UsageDetails? details, AdditionalPropertiesDictionary? properties) => new(
        properties?.TryGetValue(ComposeKeys.Calls, out var calls) == true && calls is int c ? c : 0,
        details?.InputTokenCount ?? 0,
        details?.OutputTokenCount ?? 0,
        0m);

    private static JsonObject UsageJson(Usage usage) => new()
    {
        ["prompt_tokens"] = usage.InputTokens,
        ["completion_tokens"] = usage.OutputTokens,
        ["total_tokens"] = usage.InputTokens + usage.OutputTokens,
    };
}
