using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace Compose.Serving.Tests;

/// <summary>One server (real Kestrel on 127.0.0.1, with a key) for the whole hostile-request corpus.</summary>
public sealed class HostileServerFixture : IAsyncLifetime
{
    public static readonly TimeSpan BodyTimeout = TimeSpan.FromSeconds(3);

    public const long MaxBody = 64 * 1024;

    internal TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await TestServer.StartAsync(new ServeOptions { ApiKey = TestServer.Key, MaxRequestBodyBytes = MaxBody, BodyTimeout = BodyTimeout, HeadersTimeout = BodyTimeout });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// A hostile-request corpus against the real server: malformed JSON, wrong types and out-of-range values for
/// each field, lying or huge bodies, slow and cut-short bodies, odd content types and auth headers, unicode
/// and NUL, deep nesting. Each case checks the status, OpenAI's error type and param, a bounded time, and
/// that no body shows a stack trace or a .NET exception type.
/// </summary>
public sealed class HostileRequestTests(HostileServerFixture fixture) : IClassFixture<HostileServerFixture>
{
    /// <summary>How a case's bytes go out.</summary>
    private enum Send
    {
        Whole,
        Trickle,
        CutShort,
        HeadersOnly,
        UnfinishedHead,
    }

    /// <summary>
    /// One hostile request. <paramref name="Status"/> 0 means "the server closes the connection without answering"
    /// (a client that left mid-body); <paramref name="Or"/> is another status accepted. <paramref name="Param"/> is checked when <paramref name="Type"/> is set.
    /// </summary>
    private sealed record Case(string Body, int Status, string? Type = "invalid_request_error", string? Param = null, string? Head = null, Send How = Send.Whole, string? Code = null, byte[]? Bytes = null, int? Or = null);

    private const string Hi = """[{"role":"user","content":"What is the capital of France?"}]""";

    private static string Chat(string extra) => $$"""{"model":"single","messages":{{Hi}}{{extra}}}""";

    private static string Messages(string messages) => $$"""{"model":"single","messages":{{messages}}}""";

    private static readonly ImmutableDictionary<string, Case> s_cases = new Dictionary<string, Case>
    {
        // Not JSON, or not an object.
        ["bad json"] = new("{not json", 400, Code: "invalid_json"),
        ["empty body"] = new("", 400, Code: "invalid_json"),
        ["trailing garbage"] = new(Chat("") + "}}", 400, Code: "invalid_json"),
        ["body is an array"] = new("[]", 400),
        ["body is a string"] = new("\"hello\"", 400),
        ["body is null"] = new("null", 400),
        ["deeply nested array"] = new(new string('[', 10_000) + new string(']', 10_000), 400, Code: "invalid_json"),
        ["deep nesting in an unknown field"] = new($$"""{"model":"single","messages":{{Hi}},"x":{{new string('[', 100)}}{{new string(']', 100)}}}""", 400, Code: "invalid_json"),
        ["form-encoded body"] = new("model=single&messages=hi", 400, Head: "Content-Type: application/x-www-form-urlencoded", Code: "invalid_json"),
        ["invalid UTF-8 in content"] = new("", 400, Param: "messages[0].content",
            Bytes: [.. "{\"model\":\"single\",\"messages\":[{\"role\":\"user\",\"content\":\""u8.ToArray(), 0xff, 0xfe, 0xc3, .. "\"}]}"u8.ToArray()]),

        // model
        ["model missing"] = new($$"""{"messages":{{Hi}}}""", 400, Param: "model", Code: "missing_required_parameter"),
        ["model is a number"] = new($$"""{"model":5,"messages":{{Hi}}}""", 400, Param: "model", Code: "invalid_type"),
        ["model is null"] = new($$"""{"model":null,"messages":{{Hi}}}""", 400, Param: "model"),
        ["model is empty"] = new($$"""{"model":"","messages":{{Hi}}}""", 400, Param: "model"),
        ["model is an object"] = new($$"""{"model":{"name":"single"},"messages":{{Hi}}}""", 400, Param: "model", Code: "invalid_type"),
        ["model unknown"] = new($$"""{"model":"gpt-9","messages":{{Hi}}}""", 404, Param: "model", Code: "model_not_found"),
        ["model with NUL"] = new($$"""{"model":"sin\u0000gle","messages":{{Hi}}}""", 404, Param: "model"),
        ["model lone surrogate"] = new($$"""{"model":"\ud800","messages":{{Hi}}}""", 400, Param: "model"),

        // messages
        ["messages missing"] = new("""{"model":"single"}""", 400, Param: "messages"),
        ["messages empty"] = new(Messages("[]"), 400, Param: "messages"),
        ["messages is a string"] = new(Messages("\"hi\""), 400, Param: "messages", Code: "invalid_type"),
        ["message is a number"] = new(Messages("[5]"), 400, Param: "messages[0]", Code: "invalid_type"),
        ["message without role"] = new(Messages("""[{"content":"hi"}]"""), 400, Param: "messages[0].role"),
        ["role is a number"] = new(Messages("""[{"role":1,"content":"hi"}]"""), 400, Param: "messages[0].role", Code: "invalid_type"),
        ["role unknown"] = new(Messages("""[{"role":"wizard","content":"hi"}]"""), 400, Param: "messages[0].role"),
        ["content missing"] = new(Messages("""[{"role":"user"}]"""), 400, Param: "messages[0].content"),
        ["content is a number"] = new(Messages("""[{"role":"user","content":42}]"""), 400, Param: "messages[0].content", Code: "invalid_type"),
        ["content image part"] = new(Messages("""[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x"}}]}]"""), 400, Param: "messages[0].content[0]"),
        ["name is a number"] = new(Messages("""[{"role":"user","content":"hi","name":7}]"""), 400, Param: "messages[0].name", Code: "invalid_type"),
        ["no user message"] = new(Messages("""[{"role":"system","content":"be brief"}]"""), 400, Param: "messages"),
        ["content lone surrogate"] = new(Messages("""[{"role":"user","content":"\udc00 capital of France"}]"""), 400, Param: "messages[0].content"),

        // Sampling options: type and range, as OpenAI checks them.
        ["max_tokens -5"] = new(Chat(",\"max_tokens\":-5"), 400, Param: "max_tokens"),
        ["max_tokens 0"] = new(Chat(",\"max_tokens\":0"), 400, Param: "max_tokens"),
        ["max_tokens 10^12"] = new(Chat(",\"max_tokens\":1000000000000"), 400, Param: "max_tokens"),
        ["max_tokens 1e400"] = new(Chat(",\"max_tokens\":1e400"), 400, Param: "max_tokens"),
        ["max_tokens abc"] = new(Chat(",\"max_tokens\":\"abc\""), 400, Param: "max_tokens", Code: "invalid_type"),
        ["max_tokens 1.5"] = new(Chat(",\"max_tokens\":1.5"), 400, Param: "max_tokens", Code: "invalid_type"),
        ["max_completion_tokens -1"] = new(Chat(",\"max_completion_tokens\":-1"), 400, Param: "max_completion_tokens"),
        ["temperature 99"] = new(Chat(",\"temperature\":99"), 400, Param: "temperature"),
        ["temperature -0.1"] = new(Chat(",\"temperature\":-0.1"), 400, Param: "temperature"),
        ["temperature hot"] = new(Chat(",\"temperature\":\"hot\""), 400, Param: "temperature", Code: "invalid_type"),
        ["temperature 1e400"] = new(Chat(",\"temperature\":1e400"), 400, Param: "temperature"),
        ["top_p 1.5"] = new(Chat(",\"top_p\":1.5"), 400, Param: "top_p"),
        ["n 5"] = new(Chat(",\"n\":5"), 400, Param: "n", Code: "unsupported_value"),
        ["n 0"] = new(Chat(",\"n\":0"), 400, Param: "n"),
        ["n as a string"] = new(Chat(",\"n\":\"1\""), 400, Param: "n", Code: "invalid_type"),
        ["stream yes"] = new(Chat(",\"stream\":\"yes\""), 400, Param: "stream", Code: "invalid_type"),
        ["stream_options a list"] = new(Chat(",\"stream\":true,\"stream_options\":[]"), 400, Param: "stream_options"),
        ["seed 1.5"] = new(Chat(",\"seed\":1.5"), 400, Param: "seed"),
        ["seed x"] = new(Chat(",\"seed\":\"x\""), 400, Param: "seed", Code: "invalid_type"),
        ["max_calls 0"] = new(Chat(",\"max_calls\":0"), 400, Param: "max_calls"),
        ["max_calls true"] = new(Chat(",\"max_calls\":true"), 400, Param: "max_calls", Code: "invalid_type"),
        ["stop 5"] = new(Chat(",\"stop\":5"), 400, Param: "stop", Code: "invalid_type"),
        ["stop five strings"] = new(Chat(",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"), 400, Param: "stop"),
        ["stop list of numbers"] = new(Chat(",\"stop\":[1]"), 400, Param: "stop[0]", Code: "invalid_type"),
        ["presence_penalty 3"] = new(Chat(",\"presence_penalty\":3"), 400, Param: "presence_penalty"),
        ["frequency_penalty x"] = new(Chat(",\"frequency_penalty\":\"x\""), 400, Param: "frequency_penalty", Code: "invalid_type"),
        ["user 5"] = new(Chat(",\"user\":5"), 400, Param: "user", Code: "invalid_type"),
        ["logit_bias a list"] = new(Chat(",\"logit_bias\":[]"), 400, Param: "logit_bias", Code: "invalid_type"),
        ["logprobs 1"] = new(Chat(",\"logprobs\":1"), 400, Param: "logprobs", Code: "invalid_type"),

        // What OpenAI accepts is accepted.
        ["every option in range"] = new(Chat(
            ",\"max_tokens\":16,\"max_completion_tokens\":16,\"temperature\":0.7,\"top_p\":1,\"n\":1,\"stream\":false,\"seed\":3,\"max_calls\":4,"
            + "\"stop\":[\"\\n\\n\"],\"presence_penalty\":-2,\"frequency_penalty\":2,\"user\":\"u-1\",\"logprobs\":false,\"logit_bias\":{\"50256\":-100},"
            + "\"response_format\":{\"type\":\"text\"},\"metadata\":{\"k\":\"v\"},\"store\":false,\"stream_options\":null"), 200, Type: null),
        ["nulls for optional fields"] = new(Chat(",\"max_tokens\":null,\"temperature\":null,\"n\":null,\"seed\":null,\"stop\":null"), 200, Type: null),
        ["unknown fields ignored"] = new(Chat(",\"frobnicate\":{\"a\":[1,2,3]},\"x-extra\":true"), 200, Type: null),
        ["NUL and unicode in content"] = new(Messages("""[{"role":"user","content":"capital of France?\u0000 \u202e \ud83d\ude00 ü"}]"""), 200, Type: null),
        ["text content parts"] = new(Messages("""[{"role":"user","content":[{"type":"text","text":"capital of "},{"type":"text","text":"France?"}]}]"""), 200, Type: null),
        ["JSON as text/plain"] = new(Chat(""), 200, Type: null, Head: "Content-Type: text/plain"),
        ["streamed"] = new(Chat(",\"stream\":true"), 200, Type: null),

        // Bodies that lie, grow, trickle, or stop.
        ["declared body too large"] = new("", 413, Head: "Content-Length: 1000000000000", How: Send.HeadersOnly, Code: "request_too_large"),
        ["body over the limit"] = new(Chat($",\"pad\":\"{new string('x', (int)HostileServerFixture.MaxBody)}\""), 413, Code: "request_too_large"),
        ["chunked body over the limit"] = new(Chat($",\"pad\":\"{new string('x', (int)HostileServerFixture.MaxBody)}\""), 413, Head: "Transfer-Encoding: chunked", Code: "request_too_large"),
        ["slow body"] = new(Chat($",\"pad\":\"{new string('x', 4000)}\""), 408, How: Send.Trickle, Code: "request_timeout"),
        ["headers only, body never sent"] = new("", 408, Head: "Content-Length: 500", How: Send.HeadersOnly, Code: "request_timeout"),
        ["body cut short"] = new(Chat(""), 0, Type: null, Head: "Content-Length: 5000", How: Send.CutShort, Or: 400),
        ["headers never finished"] = new("", 408, Type: null, How: Send.UnfinishedHead, Or: 0),
        ["broken chunked encoding"] = new("", 400, Type: null, Head: "Transfer-Encoding: chunked", Bytes: "zz\r\nhello\r\n0\r\n\r\n"u8.ToArray()),
        ["Content-Length not a number"] = new(Chat(""), 400, Type: null, Head: "Content-Length: abc"),

        // Auth shapes (the server wants "Bearer sk-test-7f3a").
        ["no Authorization"] = new(Chat(""), 401, Head: "Authorization:", Code: "invalid_api_key"),
        ["Basic auth"] = new(Chat(""), 401, Head: "Authorization: Basic c2stdGVzdC03ZjNh", Code: "invalid_api_key"),
        ["Bearer with no key"] = new(Chat(""), 401, Head: "Authorization: Bearer ", Code: "invalid_api_key"),
        ["Bearer key with extra"] = new(Chat(""), 401, Head: $"Authorization: Bearer {TestServer.Key} extra", Code: "invalid_api_key"),
        ["key without scheme"] = new(Chat(""), 401, Head: $"Authorization: {TestServer.Key}", Code: "invalid_api_key"),
        ["key prefix"] = new(Chat(""), 401, Head: "Authorization: Bearer sk-test", Code: "invalid_api_key"),
        ["huge Authorization header"] = new(Chat(""), 431, Type: null, Head: $"Authorization: Bearer {new string('k', 100_000)}"),

        // Wrong place.
        ["GET on chat completions"] = new("", 405, Head: "GET", Code: "method_not_allowed"),
        ["path in capitals"] = new(Chat(""), 200, Type: null, Head: "PATH /V1/Chat/Completions"),
        ["path in capitals, body too large"] = new("", 413, Head: "PATH /V1/CHAT/COMPLETIONS/", How: Send.HeadersOnly, Code: "request_too_large", Bytes: new byte[HostileServerFixture.MaxBody + 1]),
        ["unknown path"] = new(Chat(""), 404, Head: "PATH /v1/completions", Code: "unknown_url"),
    }.ToImmutableDictionary();

    public static TheoryData<string> Cases() => [.. s_cases.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void The_corpus_has_at_least_40_cases() => Assert.True(s_cases.Count >= 40, $"{s_cases.Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_request_gets_a_clean_bounded_answer(string name)
    {
        var c = s_cases[name];
        var (head, body) = Build(c);
        var response = await RawHttp.SendAsync(
            fixture.Server.Port, head, body,
            trickle: c.How == Send.Trickle ? 20 : null,
            closeAfterBody: c.How == Send.CutShort,
            finishHead: c.How != Send.UnfinishedHead);

        // Bounded: nothing waits longer than the body deadline, plus generous slack for a loaded machine.
        Assert.True(response.Elapsed < HostileServerFixture.BodyTimeout + TimeSpan.FromSeconds(15), $"{name}: took {response.Elapsed}");
        Assert.True(response.Status == c.Status || response.Status == c.Or, $"{name}: expected {c.Status}{(c.Or is { } or ? $" or {or}" : "")}, got {response.Status}: {response.Body}");

        Assert.DoesNotContain("   at ", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft.", response.Body, StringComparison.Ordinal);

        if (c.Type is not null)
        {
            var error = JsonDocument.Parse(response.Body).RootElement.GetProperty("error");
            Assert.Equal(c.Type, error.GetProperty("type").GetString());
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
            if (c.Param is not null)
            {
                Assert.Equal(c.Param, error.GetProperty("param").GetString());
            }

            if (c.Code is not null)
            {
                Assert.Equal(c.Code, error.GetProperty("code").GetString());
            }
        }
        else if (c.Status == 200)
        {
            Assert.Contains(name == "streamed" ? "data: [DONE]" : "\"chat.completion\"", response.Body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_server_still_answers_after_the_corpus()
    {
        foreach (var name in new[] { "slow body", "body cut short", "declared body too large", "deeply nested array" })
        {
            var (head, body) = Build(s_cases[name]);
            await RawHttp.SendAsync(fixture.Server.Port, head, body, trickle: name == "slow body" ? 20 : null, closeAfterBody: name == "body cut short");
        }

        var (okHead, okBody) = Build(new Case(Chat(""), 200));
        var ok = await RawHttp.SendAsync(fixture.Server.Port, okHead, okBody);
        Assert.Equal(200, ok.Status);
        Assert.Contains("Paris is the capital of France.", ok.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connections_beyond_max_connections_are_closed_and_the_server_recovers()
    {
        await using var server = await TestServer.StartAsync(new ServeOptions { MaxConnections = 2, HeadersTimeout = TimeSpan.FromSeconds(60) });
        var (head, body) = Build(new Case(Chat(""), 200));
        head = head.Replace($"Bearer {TestServer.Key}", "Bearer unused", StringComparison.Ordinal);
        var held = new List<System.Net.Sockets.TcpClient>();
        for (var i = 0; i < 2; i++)
        {
            var idle = new System.Net.Sockets.TcpClient();
            await idle.ConnectAsync(System.Net.IPAddress.Loopback, server.Port);
            await idle.GetStream().WriteAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"u8.ToArray());
            held.Add(idle);
        }

        await Task.Delay(500); // both held connections are accepted
        var refused = await RawHttp.SendAsync(server.Port, head, body, timeout: TimeSpan.FromSeconds(30));
        Assert.True(refused.Status == 0, $"a third connection got {refused.Status}: {refused.Body}");
        held.ForEach(c => c.Dispose());

        // Freed connections are counted back within a moment.
        RawResponse? ok = null;
        for (var attempt = 0; attempt < 50 && ok?.Status != 200; attempt++)
        {
            await Task.Delay(200);
            ok = await RawHttp.SendAsync(server.Port, head, body, timeout: TimeSpan.FromSeconds(30));
        }

        Assert.Equal(200, ok!.Status);
    }

    /// <summary>The request's head (request line and headers) and body bytes; <c>Head</c> adds or replaces headers, or sets the method/path.</summary>
    private static (string Head, byte[] Body) Build(Case c)
    {
        var body = c.Bytes ?? Encoding.UTF8.GetBytes(c.Body);
        var method = "POST";
        var path = "/v1/chat/completions";
        var headers = new List<(string Name, string Value)>
        {
            ("Host", "127.0.0.1"),
            ("Authorization", $"Bearer {TestServer.Key}"),
            ("Content-Type", "application/json"),
            ("Connection", "close"),
        };
        var chunked = false;
        if (c.Head is { } extra)
        {
            if (extra == "GET")
            {
                method = "GET";
            }
            else if (extra.StartsWith("PATH ", StringComparison.Ordinal))
            {
                path = extra[5..];
            }
            else
            {
                var colon = extra.IndexOf(':', StringComparison.Ordinal);
                var headerName = extra[..colon];
                var value = extra[(colon + 1)..].TrimStart();
                headers.RemoveAll(h => h.Name.Equals(headerName, StringComparison.OrdinalIgnoreCase));
                if (value.Length > 0)
                {
                    headers.Add((headerName, value));
                }

                chunked = headerName == "Transfer-Encoding";
            }
        }

        if (method == "POST" && !chunked && !headers.Exists(h => h.Name == "Content-Length"))
        {
            headers.Add(("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (chunked && c.Bytes is null)
        {
            // Well-formed chunks of 8 KiB.
            var framed = new List<byte>();
            foreach (var piece in body.Chunk(8 * 1024))
            {
                framed.AddRange(Encoding.ASCII.GetBytes($"{piece.Length:x}\r\n"));
                framed.AddRange(piece);
                framed.AddRange("\r\n"u8.ToArray());
            }

            framed.AddRange("0\r\n\r\n"u8.ToArray());
            body = [.. framed];
        }

        if (c.How == Send.CutShort)
        {
            body = body[..(body.Length / 2)];
        }

        if (c.How is Send.HeadersOnly or Send.UnfinishedHead)
        {
            body = [];
        }

        var head = $"{method} {path} HTTP/1.1\r\n" + string.Join("\r\n", headers.Select(h => $"{h.Name}: {h.Value}"));
        return (head, body);
    }
}
