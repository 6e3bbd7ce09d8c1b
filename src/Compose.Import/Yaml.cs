using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Compose.Import;

/// <summary>Scalars as YAML: plain where that reads the same, double-quoted (JSON escapes are valid YAML) otherwise.</summary>
internal static partial class Yaml
{
    public static string Number(double value) => value.ToString("0.0##############", CultureInfo.InvariantCulture);

    public static string Quote(string text) => JsonSerializer.Serialize(text, JsonOptions);

    /// <summary>A text plain when it is a safe word (letters, digits, '_', '.', '-', '/', starting with a letter) and not a YAML keyword.</summary>
    public static string Text(string text) =>
        SafePlain().IsMatch(text) && !Keywords.Contains(text.ToLowerInvariant()) ? text : Quote(text);

    /// <summary>Comment lines, wrapped at about <paramref name="width"/> characters, each starting with <paramref name="indent"/><c># </c>.</summary>
    public static string Comment(string text, string indent = "", int width = 110)
    {
        var sb = new StringBuilder();
        foreach (var paragraph in text.Split('\n'))
        {
            var line = new StringBuilder();
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.Length > 0 && indent.Length + 2 + line.Length + 1 + word.Length > width)
                {
                    sb.Append(indent).Append("# ").Append(line).Append('\n');
                    line.Clear();
                }

                line.Append(line.Length > 0 ? " " : "").Append(word);
            }

            sb.Append(indent).Append('#').Append(line.Length > 0 ? " " + line : "").Append('\n');
        }

        return sb.ToString();
    }

    private static readonly HashSet<string> Keywords = ["true", "false", "yes", "no", "on", "off", "null", "y", "n"];

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_.\-/]*$")]
    private static partial Regex SafePlain();
}
