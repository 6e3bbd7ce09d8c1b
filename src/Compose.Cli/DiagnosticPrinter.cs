using System.Text.Json;
using Compose.Language;

namespace Compose.Cli;

/// <summary>Prints diagnostics as compilers do (<c>file:line:col: error CODE: message</c> plus a hint line), or as JSON.</summary>
internal static class DiagnosticPrinter
{
    public static void Print(TextWriter writer, IEnumerable<Diagnostic> diagnostics)
    {
        foreach (var d in diagnostics.OrderBy(d => d.Location.File, StringComparer.Ordinal).ThenBy(d => d.Location.Line).ThenBy(d => d.Location.Column))
        {
            writer.WriteLine(d.ToString());
        }
    }

    public static object ToJson(Diagnostic d) => new
    {
        code = d.Code,
        severity = d.Severity == DiagnosticSeverity.Error ? "error" : "warning",
        file = d.Location.File,
        line = d.Location.Line,
        column = d.Location.Column,
        message = d.Message,
        hint = d.Hint,
    };

    public static string Json(IEnumerable<Diagnostic> diagnostics) =>
        JsonSerializer.Serialize(diagnostics.Select(ToJson), CliJson.Options);
}
