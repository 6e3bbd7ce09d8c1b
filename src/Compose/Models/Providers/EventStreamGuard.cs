using System.Text;
using System.Text.Json;
using Compose.Models.Middleware;

namespace Compose.Models.Providers;

/// <summary>
/// Reads a server-sent event stream line by line and hands on only checked lines: at most
/// <c>max_response_bytes</c> in all; every line a comment or a <c>data</c>, <c>event</c>, <c>id</c> or <c>retry</c>
/// field; every <c>data</c> payload <c>[DONE]</c> or a JSON object without an <c>error</c>, valid UTF-8, whose
/// choices carry text deltas without NUL characters. Implausible usage is removed from a chunk. A stream that ends
/// without any data is an error too. A failed check throws <see cref="UpstreamReplyException"/> before the OpenAI
/// client sees the line.
/// </summary>
internal sealed class EventStreamGuard(Stream inner, OpenAIReplyGuard guard) : ReadOnlyWrapperStream(inner)
{
    private const string Advice = "check that base_url is the API root of an OpenAI-compatible server (usually ending in /v1), and the server's logs";

    private readonly byte[] _chunk = new byte[16 * 1024];
    private readonly MemoryStream _line = new();
    private byte[] _out = new byte[16 * 1024];
    private int _outStart;
    private int _outEnd;
    private long _total;
    private bool _ended;
    private bool _sawData;

    protected override long BytesRead => _total;

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_outEnd == _outStart)
        {
            if (_ended)
            {
                return 0;
            }

            var read = await Inner.ReadAsync(_chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _ended = true;
                if (_line.Length > 0)
                {
                    EndLine();
                }

                if (!_sawData)
                {
                    throw guard.Fail("sent an event stream that ended without any data", Advice);
                }

                continue;
            }

            _total += read;
            if (_total > guard.MaxResponseBytes)
            {
                throw guard.TooLarge();
            }

            Feed(_chunk.AsSpan(0, read));
        }

        var count = Math.Min(buffer.Length, _outEnd - _outStart);
        _out.AsSpan(_outStart, count).CopyTo(buffer.Span);
        _outStart += count;
        return count;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _line.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Feed(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var newline = bytes.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _line.Write(bytes);
                return;
            }

            _line.Write(bytes[..(newline + 1)]);
            bytes = bytes[(newline + 1)..];
            EndLine();
        }
    }

    /// <summary>Checks the line gathered so far and queues it (or its sanitized form) for the reader.</summary>
    private void EndLine()
    {
        var raw = _line.GetBuffer().AsSpan(0, (int)_line.Length);
        var replacement = Check(raw);
        Emit(replacement ?? raw);
        _line.SetLength(0);
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        if (_outStart == _outEnd)
        {
            _outStart = _outEnd = 0;
        }

        if (_out.Length - _outEnd < bytes.Length)
        {
            var live = _outEnd - _outStart;
            var bigger = new byte[Math.Max(_out.Length, live + bytes.Length)];
            _out.AsSpan(_outStart, live).CopyTo(bigger);
            _out = bigger;
            _outStart = 0;
            _outEnd = live;
        }

        bytes.CopyTo(_out.AsSpan(_outEnd));
        _outEnd += bytes.Length;
    }

    /// <summary>Null when the line may pass as it is; else its replacement (usage removed). Throws on a broken line.</summary>
    private byte[]? Check(ReadOnlySpan<byte> raw)
    {
        var line = raw.TrimEnd("\r\n"u8);
        if (line.IsEmpty || line[0] == (byte)':')
        {
            return null;
        }

        var colon = line.IndexOf((byte)':');
        var field = colon < 0 ? line : line[..colon];
        if (field.SequenceEqual("event"u8) || field.SequenceEqual("id"u8) || field.SequenceEqual("retry"u8))
        {
            return null;
        }

        if (!field.SequenceEqual("data"u8))
        {
            throw guard.Fail(
                "sent an event stream with a broken line (not 'data:', 'event:', 'id:', 'retry:' or a comment)",
                Advice,
                UpstreamText.ErrorMessage(line, "text/plain"));
        }

        var payload = colon < 0 ? [] : line[(colon + 1)..];
        if (!payload.IsEmpty && payload[0] == (byte)' ')
        {
            payload = payload[1..];
        }

        _sawData = true;
        if (payload.SequenceEqual("[DONE]"u8))
        {
            return null;
        }

        if (!System.Text.Unicode.Utf8.IsValid(payload))
        {
            throw guard.Fail("sent an event that is not valid UTF-8 text", Advice);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload.ToArray());
        }
        catch (JsonException ex)
        {
            throw guard.Fail("sent an event whose data is not valid JSON", Advice, UpstreamText.ErrorMessage(payload, "text/plain"), ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw guard.Fail("sent an event whose data is not a JSON object", Advice);
            }

            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                throw guard.Fail(
                    "sent an error in the event stream",
                    "not retried once the stream started; check the model name and options, and the server's logs",
                    UpstreamText.FromJson(root));
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind != JsonValueKind.Null)
            {
                if (choices.ValueKind != JsonValueKind.Array)
                {
                    throw guard.Fail("sent a chunk whose 'choices' is not a list", Advice);
                }

                foreach (var choice in choices.EnumerateArray())
                {
                    if (choice.ValueKind != JsonValueKind.Object
                        || (choice.TryGetProperty("delta", out var delta) && delta.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null)))
                    {
                        throw guard.Fail("sent a chunk with a broken choice (no 'delta' object)", Advice);
                    }

                    if (delta.ValueKind == JsonValueKind.Object && OpenAIReplyGuard.ContentProblem(delta, required: false) is { } problem)
                    {
                        throw guard.Fail($"sent a chunk whose delta {problem}", Advice);
                    }
                }
            }
            else if (!root.TryGetProperty("usage", out _))
            {
                throw guard.Fail("sent a chunk with neither 'choices' nor 'usage': not a chat completion chunk", Advice, UpstreamText.FromJson(root));
            }

            if (OpenAIReplyGuard.Sanitize(payload, root) is not { } clean)
            {
                return null;
            }

            var newline = raw[line.Length..];
            return [.. "data: "u8, .. clean, .. newline];
        }
    }
}
