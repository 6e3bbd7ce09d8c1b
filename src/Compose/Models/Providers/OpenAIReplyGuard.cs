using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Compose.Models.Middleware;

namespace Compose.Models.Providers;

/// <summary>
/// The HTTP boundary of an <c>openai</c> model: a handler on the <see cref="HttpClient"/> the OpenAI client uses.
/// It bounds every response body to <c>max_response_bytes</c> (checked on the <c>Content-Length</c> and again while
/// reading, so memory stays bounded whatever the server sends), and checks a successful reply before the OpenAI
/// client reads it: a JSON chat completion when one was asked (not empty, not HTML, not an event stream, valid UTF-8
/// and JSON, no <c>error</c>, at least one choice with a message whose content is text without NUL characters), an
/// event stream of such chunks when a stream was asked. A reply that fails a check ends in an
/// <see cref="UpstreamReplyException"/> naming what is wrong and quoting the server's own message, if any.
/// Implausible usage (negative, fractional, absurd counts) is removed: the usage is then unknown, never a crash.
/// </summary>
internal sealed class OpenAIReplyGuard(string endpoint, long maxResponseBytes) : DelegatingHandler
{
    /// <summary>Unix seconds of 9999-12-31, the last date the OpenAI client accepts for <c>created</c>.</summary>
    private const long MaxUnixSeconds = 253_402_300_799;

    public string Endpoint { get; } = endpoint;

    public long MaxResponseBytes { get; } = maxResponseBytes;

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var wantsStream = await AsksForStreamAsync(request, cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            var content = response.Content;
            if (content.Headers.ContentLength is { } length && length > MaxResponseBytes)
            {
                throw TooLarge((int)response.StatusCode);
            }

            var mediaType = content.Headers.ContentType?.MediaType;
            if (!response.IsSuccessStatusCode)
            {
                // The OpenAI client reads the error body; bound it too.
                var errorBody = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                response.Content = Replace(content, new StreamContent(new BoundedStream(errorBody, this, (int)response.StatusCode)));
                return response;
            }

            if (wantsStream && IsEventStream(mediaType))
            {
                var events = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                response.Content = Replace(content, new StreamContent(new EventStreamGuard(events, this)));
                return response;
            }

            var body = await ReadBoundedAsync(content, (int)response.StatusCode, cancellationToken).ConfigureAwait(false);
            if (wantsStream)
            {
                throw NotAStream(body, mediaType);
            }

            var checkedBody = CheckCompletion(body, mediaType);
            response.Content = Replace(content, new ByteArrayContent(checkedBody));
            content.Dispose();
            response.Content.Headers.ContentLength = checkedBody.Length;
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    internal UpstreamReplyException TooLarge(int? status = 200) => new(
        Endpoint,
        $"the reply is larger than {FormatBytes(MaxResponseBytes)} (max_response_bytes)",
        "if replies this large are expected, raise max_response_bytes for this model (for example max_response_bytes: 64MiB); otherwise lower max_tokens or check the server",
        status: status);

    internal UpstreamReplyException Fail(string problem, string advice, string? upstreamMessage = null, Exception? inner = null) =>
        new(Endpoint, problem, advice, upstreamMessage, 200, inner);

    internal static string FormatBytes(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB"
        : bytes % 1024 == 0 ? $"{bytes / 1024} KiB"
        : $"{bytes} bytes";

    /// <summary>True for a token count the budget can take: a whole number from 0 to <see cref="TokenCounts.MaxPerCall"/>.</summary>
    internal static bool IsPlausibleCount(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null
        || (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count) && count is >= 0 and <= TokenCounts.MaxPerCall);

    /// <summary>True when every count in <paramref name="usage"/> (nested details included) is plausible.</summary>
    internal static bool IsPlausibleUsage(JsonElement usage, int depth = 0)
    {
        if (usage.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (usage.ValueKind != JsonValueKind.Object || depth > 2)
        {
            return false;
        }

        foreach (var property in usage.EnumerateObject())
        {
            var ok = property.Value.ValueKind == JsonValueKind.Object
                ? IsPlausibleUsage(property.Value, depth + 1)
                : IsPlausibleCount(property.Value);
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Removes implausible usage and an unreadable <c>created</c> from a reply or chunk; null when nothing needs removing.</summary>
    internal static byte[]? Sanitize(ReadOnlySpan<byte> json, JsonElement root)
    {
        var badUsage = root.TryGetProperty("usage", out var usage) && !IsPlausibleUsage(usage);
        var badCreated = root.TryGetProperty("created", out var created)
            && !(created.ValueKind == JsonValueKind.Number && created.TryGetInt64(out var seconds) && seconds is >= 0 and <= MaxUnixSeconds);
        if (!badUsage && !badCreated)
        {
            return null;
        }

        var node = JsonNode.Parse(json)!.AsObject();
        if (badUsage)
        {
            node.Remove("usage");
        }

        if (badCreated)
        {
            node["created"] = 0;
        }

        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    /// <summary>The problem with a message or delta's <c>content</c>, or null when it is text (or absent, where allowed).</summary>
    internal static string? ContentProblem(JsonElement holder, bool required)
    {
        if (!holder.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            var hasAlternative = holder.TryGetProperty("refusal", out var refusal) && refusal.ValueKind == JsonValueKind.String
                || holder.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array;
            return required && !hasAlternative ? "has no 'content'" : null;
        }

        if (content.ValueKind != JsonValueKind.String)
        {
            return "has a 'content' that is not text";
        }

        return content.GetString()!.Contains('\0', StringComparison.Ordinal) ? "has a 'content' with NUL characters" : null;
    }

    private static bool IsEventStream(string? mediaType) =>
        string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

    private static bool LooksLikeEventStream(ReadOnlySpan<byte> body)
    {
        var start = body.TrimStart(" \t\r\n"u8);
        return start.StartsWith("data:"u8) || start.StartsWith("event:"u8) || start.StartsWith(": "u8);
    }

    private static HttpContent Replace(HttpContent original, HttpContent replacement)
    {
        foreach (var header in original.Headers)
        {
            if (!header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                replacement.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        // The original is not disposed: a replacement that wraps its stream now owns that stream.
        return replacement;
    }

    /// <summary>True when the request body asks for <c>"stream": true</c>. Buffers the (small) request body so it can be sent.</summary>
    private static async Task<bool> AsksForStreamAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is not { } content)
        {
            return false;
        }

        var bytes = await content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var copy = new ByteArrayContent(bytes);
        foreach (var header in content.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        request.Content = copy;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("stream", out var stream)
                && stream.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private async Task<byte[]> ReadBoundedAsync(HttpContent content, int status, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81_920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxResponseBytes)
                {
                    throw TooLarge(status);
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
    }

    private UpstreamReplyException NotAStream(byte[] body, string? mediaType)
    {
        var upstream = UpstreamText.ErrorMessage(body, mediaType);
        if (UpstreamText.IsHtml(mediaType, body))
        {
            return Fail(
                "sent an HTML page where an event stream was asked",
                "check base_url: it must be the API root of an OpenAI-compatible server (usually ending in /v1), not a web page or a proxy's page",
                upstream);
        }

        return Fail(
            body.Length == 0 ? "sent an empty reply where an event stream was asked" : $"sent {Describe(mediaType)} where an event stream (text/event-stream) was asked",
            "check that the server supports streaming (stream: true) on /chat/completions, and its logs",
            upstream);
    }

    private static string Describe(string? mediaType) => mediaType switch
    {
        null or "" => "a reply without a content type",
        _ when mediaType.Contains("json", StringComparison.OrdinalIgnoreCase) => "a JSON reply",
        _ => $"a {UpstreamText.Clean(mediaType)} reply",
    };

    /// <summary>Checks a non-streaming reply; returns the body the OpenAI client reads (implausible usage removed).</summary>
    private byte[] CheckCompletion(byte[] body, string? mediaType)
    {
        const string Advice = "check that base_url is the API root of an OpenAI-compatible server (usually ending in /v1), and the server's logs";
        if (body.AsSpan().Trim(" \t\r\n"u8).IsEmpty)
        {
            throw Fail("sent an empty reply (HTTP 200 without a body)", Advice);
        }

        if (IsEventStream(mediaType) || LooksLikeEventStream(body))
        {
            throw Fail("sent an event stream where a JSON reply was asked", "the server ignored stream: false; check its version and settings");
        }

        if (UpstreamText.IsHtml(mediaType, body))
        {
            throw Fail("sent an HTML page, not a JSON chat completion", Advice, UpstreamText.ErrorMessage(body, mediaType));
        }

        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            throw Fail("sent a reply that is not valid UTF-8 text", Advice);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw Fail("sent a reply that is not valid JSON", Advice, UpstreamText.ErrorMessage(body, "text/plain"), ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail("sent a JSON reply that is not an object", Advice);
            }

            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                throw Fail(
                    "answered HTTP 200 with an error",
                    "not retried; check the model name and options, and the server's logs",
                    UpstreamText.FromJson(root));
            }

            if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            {
                throw Fail("sent a reply without a 'choices' list: not a chat completion", Advice, UpstreamText.FromJson(root));
            }

            if (choices.GetArrayLength() == 0)
            {
                throw Fail(
                    "sent a reply with no choices (an empty 'choices' list)",
                    "the server produced no answer; check its logs (an overloaded server or a content filter may do this) and try again");
            }

            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.ValueKind != JsonValueKind.Object || !choice.TryGetProperty("message", out var message)
                    || message.ValueKind != JsonValueKind.Object)
                {
                    throw Fail("sent a choice without a 'message'", Advice);
                }

                if (ContentProblem(message, required: true) is { } problem)
                {
                    throw Fail($"sent a message that {problem}", Advice);
                }
            }

            return Sanitize(body, root) ?? body;
        }
    }

    /// <summary>A response body that fails once more than the cap has been read.</summary>
    private sealed class BoundedStream(Stream inner, OpenAIReplyGuard guard, int status) : ReadOnlyWrapperStream(inner)
    {
        private long _read;

        protected override long BytesRead => _read;

        public override int Read(byte[] buffer, int offset, int count) => Count(Inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        private int Count(int read)
        {
            _read += read;
            return _read > guard.MaxResponseBytes ? throw guard.TooLarge(status) : read;
        }
    }
}
