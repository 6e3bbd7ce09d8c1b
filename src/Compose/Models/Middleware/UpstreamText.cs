using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Compose.Models.Middleware;

/// <summary>
/// Text that comes from an upstream server on its way to a person: the server's own error message read from a
/// reply body, cleaned (no control characters, no secrets) and shortened; and the server's address as shown.
/// </summary>
internal static partial class UpstreamText
{
    /// <summary>The longest server message quoted in an error.</summary>
    public const int MaxMessageLength = 300;

    /// <summary>How much of a body is looked at for a message.</summary>
    private const int MaxInspectedBytes = 64 * 1024;

    /// <summary>The endpoint as shown in messages: scheme, host, port and path; no user info, query or fragment.</summary>
    public static string Endpoint(Uri? url)
    {
        if (url is null || !url.IsAbsoluteUri)
        {
            return "the server";
        }

        var shown = new UriBuilder(url) { UserName = "", Password = "", Query = "", Fragment = "" }.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return SecretRedactor.Redact(shown);
    }

    /// <summary>
    /// The server's own message in an error body: <c>{"error":{"message":...}}</c>, <c>{"error":"..."}</c>,
    /// <c>{"message":...}</c> or <c>{"detail":...}</c>; or the text of a short plain-text body. Null when there is none
    /// (an HTML page yields its title, if any).
    /// </summary>
    public static string? ErrorMessage(ReadOnlySpan<byte> body, string? mediaType)
    {
        if (body.Length > MaxInspectedBytes)
        {
            body = body[..MaxInspectedBytes];
        }

        var trimmed = body.TrimStart(" \t\r\n"u8);
        if (trimmed.Length == 0)
        {
            return null;
        }

        if (trimmed[0] == (byte)'{')
        {
            try
            {
                using var document = JsonDocument.Parse(body.ToArray());
                return FromJson(document.RootElement);
            }
            catch (JsonException)
            {
                // Not JSON after all: fall through to text.
            }
        }

        var text = Encoding.UTF8.GetString(trimmed);
        if (IsHtml(mediaType, trimmed))
        {
            var title = HtmlTitle().Match(text);
            return title.Success ? Clean(System.Net.WebUtility.HtmlDecode(title.Groups[1].Value)) : null;
        }

        return Clean(text);
    }

    /// <summary>The message in a parsed JSON error body, cleaned, or null.</summary>
    public static string? FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var name in (ReadOnlySpan<string>)["error", "message", "detail"])
        {
            if (!root.TryGetProperty(name, out var value))
            {
                continue;
            }

            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object when value.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String => m.GetString(),
                JsonValueKind.Object or JsonValueKind.Array => value.GetRawText(),
                _ => null,
            };
            if (Clean(text) is { } clean)
            {
                return clean;
            }
        }

        return null;
    }

    /// <summary>True for an HTML body (by media type or by its first character).</summary>
    public static bool IsHtml(string? mediaType, ReadOnlySpan<byte> body) =>
        (mediaType?.Contains("html", StringComparison.OrdinalIgnoreCase) ?? false)
        || body.TrimStart(" \t\r\n\uFEFF"u8).StartsWith("<"u8);

    /// <summary>
    /// Text fit to quote: control characters (NUL included) become spaces, runs of white space one space,
    /// secrets are masked, and it is cut at <see cref="MaxMessageLength"/> characters. Null when nothing is left.
    /// </summary>
    public static string? Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (text.Length > 4 * MaxMessageLength)
        {
            text = text[..(4 * MaxMessageLength)];
        }

        // A server that echoes its own stack trace: keep the message, not the frames ("   at X.Y() in file:line").
        var lines = text.Split('\n');
        var frame = Array.FindIndex(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) && l.Contains('(', StringComparison.Ordinal));
        if (frame > 0)
        {
            text = string.Join('\n', lines[..frame]);
        }

        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var printable = char.IsControl(c) || char.IsWhiteSpace(c) || c == '\uFFFD' ? ' ' : c;
            if (printable != ' ' || (builder.Length > 0 && builder[^1] != ' '))
            {
                builder.Append(printable);
            }
        }

        var clean = SecretRedactor.Redact(builder.ToString().Trim());
        if (clean.Length == 0)
        {
            return null;
        }

        return clean.Length > MaxMessageLength ? clean[..MaxMessageLength] + "..." : clean;
    }

    [GeneratedRegex("<title[^>]*>([^<]{1,200})</title>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex HtmlTitle();
}
