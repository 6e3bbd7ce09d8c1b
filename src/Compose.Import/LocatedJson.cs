using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Compose.Language;

namespace Compose.Import;

/// <summary>A JSON value with the place it starts in its file (1-based line and column, in characters).</summary>
internal sealed record JsonValue(JsonValueKind Kind, SourceLocation Location)
{
    public string? Text { get; init; }

    public double? Number { get; init; }

    /// <summary>The raw text of a number as written (<c>1</c>, <c>0.7</c>).</summary>
    public string? Raw { get; init; }

    public ImmutableArray<JsonProperty> Properties { get; init; } = [];

    public ImmutableArray<JsonValue> Items { get; init; } = [];

    public bool? Bool => Kind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null };

    /// <summary>The value of <paramref name="key"/> (the last one, as Python's json keeps), or null.</summary>
    public JsonProperty? Property(string key) => Properties.LastOrDefault(p => p.Key == key);

    /// <summary>How the value reads in a message: a string quoted, anything else as its JSON kind or raw text.</summary>
    public string Describe() => Kind switch
    {
        JsonValueKind.String => $"\"{Text}\"",
        JsonValueKind.Number => Raw ?? "a number",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "a list",
        _ => "an object",
    };
}

/// <summary>One key of a JSON object: the key, where it is, and its value.</summary>
internal sealed record JsonProperty(string Key, SourceLocation KeyLocation, JsonValue Value);

/// <summary>Parses JSON strictly (as Python's <c>json.load</c> does: no comments, no trailing commas) into located values.</summary>
internal static class LocatedJson
{
    private const int MaxDepth = 64;

    /// <summary>The value, or the first syntax error located at the line and column where the parser stopped.</summary>
    public static (JsonValue? Value, Diagnostic? Error) Parse(byte[] utf8, string file)
    {
        var start = utf8.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var bytes = utf8.AsMemory(start);
        var lines = new Lines(bytes, file);
        var reader = new Utf8JsonReader(bytes.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false, MaxDepth = MaxDepth });
        try
        {
            if (!reader.Read())
            {
                return (null, Diagnostic.Error(ArchonDiagnosticCodes.InvalidJson, new SourceLocation(file, 1, 1), "the file is empty: an Archon architecture is a JSON object", "write { \"name\": ..., \"layers\": [...] }"));
            }

            var value = ReadValue(ref reader, lines);
            if (reader.Read())
            {
                // Utf8JsonReader reports content after the value as an exception above; this is belt and braces.
                return (null, Diagnostic.Error(ArchonDiagnosticCodes.InvalidJson, lines.At(reader.TokenStartIndex), "more than one JSON value in the file", "an Archon architecture is one JSON object"));
            }

            return (value, null);
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? 0);
            var column = lines.Column(line, (int)(e.BytePositionInLine ?? 0));
            return (null, Diagnostic.Error(
                ArchonDiagnosticCodes.InvalidJson,
                new SourceLocation(file, line + 1, column),
                $"invalid JSON: {Reason(e.Message)}",
                "Archon's json.load stops here too; fix the JSON (a missing comma, quote or bracket, or stray text) and import again"));
        }
    }

    /// <summary>The parser's message without its position suffix (" LineNumber: 70 | BytePositionInLine: 39.").</summary>
    private static string Reason(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var text = (at >= 0 ? message[..at] : message).Trim();
        return text.Length == 0 ? "the parser stopped here" : text;
    }

    private static JsonValue ReadValue(ref Utf8JsonReader reader, Lines lines)
    {
        var location = lines.At(reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                return ReadObject(ref reader, lines, location);
            case JsonTokenType.StartArray:
                return ReadArray(ref reader, lines, location);
            case JsonTokenType.String:
                return new JsonValue(JsonValueKind.String, location) { Text = reader.GetString() };
            case JsonTokenType.Number:
                var raw = Encoding.UTF8.GetString(reader.ValueSpan);
                return new JsonValue(JsonValueKind.Number, location) { Number = reader.GetDouble(), Raw = raw };
            case JsonTokenType.True:
                return new JsonValue(JsonValueKind.True, location);
            case JsonTokenType.False:
                return new JsonValue(JsonValueKind.False, location);
            default:
                return new JsonValue(JsonValueKind.Null, location);
        }
    }

    private static JsonValue ReadObject(ref Utf8JsonReader reader, Lines lines, SourceLocation location)
    {
        var properties = ImmutableArray.CreateBuilder<JsonProperty>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var keyLocation = lines.At(reader.TokenStartIndex);
            var key = reader.GetString()!;
            reader.Read();
            properties.Add(new JsonProperty(key, keyLocation, ReadValue(ref reader, lines)));
        }

        return new JsonValue(JsonValueKind.Object, location) { Properties = properties.ToImmutable() };
    }

    private static JsonValue ReadArray(ref Utf8JsonReader reader, Lines lines, SourceLocation location)
    {
        var items = ImmutableArray.CreateBuilder<JsonValue>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            items.Add(ReadValue(ref reader, lines));
        }

        return new JsonValue(JsonValueKind.Array, location) { Items = items.ToImmutable() };
    }

    /// <summary>Turns byte offsets into 1-based lines and character columns.</summary>
    private sealed class Lines
    {
        private readonly ReadOnlyMemory<byte> _bytes;
        private readonly List<int> _starts = [0];
        private readonly string _file;

        public Lines(ReadOnlyMemory<byte> bytes, string file)
        {
            _bytes = bytes;
            _file = file;
            var span = bytes.Span;
            for (var i = 0; i < span.Length; i++)
            {
                if (span[i] == (byte)'\n')
                {
                    _starts.Add(i + 1);
                }
            }
        }

        public SourceLocation At(long offset)
        {
            var index = _starts.BinarySearch((int)offset);
            var line = index >= 0 ? index : ~index - 1;
            return new SourceLocation(_file, line + 1, Column(line, (int)offset - _starts[line]));
        }

        /// <summary>The 1-based character column of byte <paramref name="bytesInLine"/> of 0-based <paramref name="line"/>.</summary>
        public int Column(int line, int bytesInLine)
        {
            if (line < 0 || line >= _starts.Count)
            {
                return bytesInLine + 1;
            }

            var start = _starts[line];
            var length = Math.Clamp(bytesInLine, 0, _bytes.Length - start);
            return Encoding.UTF8.GetCharCount(_bytes.Span.Slice(start, length)) + 1;
        }
    }
}
