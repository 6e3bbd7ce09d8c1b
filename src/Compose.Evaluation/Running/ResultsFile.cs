using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Compose.Language;

namespace Compose.Evaluation.Running;

/// <summary>
/// The per-item results file: a header line <c>{"kind":"header","fingerprint":...}</c>, then one
/// <see cref="ItemResult"/> per line, flushed as each item finishes. A run killed mid-line leaves a
/// partial last line, which the next run drops before continuing.
/// </summary>
public static class ResultsFile
{
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The results already in <paramref name="path"/> (empty when absent). Throws when it belongs to another evaluation.</summary>
    public static ImmutableArray<ItemResult> ReadForResume(string path, string fingerprint)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var bytes = File.ReadAllBytes(path);
        var complete = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (complete < bytes.Length)
        {
            using var trim = new FileStream(path, FileMode.Open, FileAccess.Write);
            trim.SetLength(complete);
        }

        var lines = Encoding.UTF8.GetString(bytes, 0, complete).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            return [];
        }

        using (var header = JsonDocument.Parse(lines[0]))
        {
            var found = header.RootElement.TryGetProperty("fingerprint", out var f) ? f.GetString() : null;
            if (found != fingerprint)
            {
                throw new DiagnosticException([Diagnostic.Error(EvaluationDiagnosticCodes.ResultsMismatch, new SourceLocation(path, 1, 1),
                    "the results file belongs to another evaluation (a different pipeline, models, benchmark, scorer or seed)",
                    "Give another --out file, or delete this one to start over.")]);
            }
        }

        return [.. lines.Skip(1).Select(l => JsonSerializer.Deserialize<ItemResult>(l, Json)!)];
    }

    /// <summary>Opens <paramref name="path"/> for appending, writing the header when the file is new or empty.</summary>
    public static StreamWriter OpenForAppend(string path, string fingerprint, string name)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        var isNew = !File.Exists(path) || new FileInfo(path).Length == 0;
        var writer = new StreamWriter(path, append: true, new UTF8Encoding(false)) { NewLine = "\n" };
        if (isNew)
        {
            writer.WriteLine(JsonSerializer.Serialize(new { kind = "header", fingerprint, name }, Json));
            writer.Flush();
        }

        return writer;
    }
}
