using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Compose.IO;
using Compose.Language;
using Microsoft.Extensions.AI;

namespace Compose.Evaluation.Benchmarks;

/// <summary>
/// Reads a benchmark JSONL file (schemas/benchmark.schema.json) as a stream, one item per line:
/// <c>{"id", "prompt" | "messages", "reference", "metadata"}</c>. For datasets in their published
/// form, <c>question</c>/<c>input</c> stand for <c>prompt</c> and <c>answer</c>/<c>ground_truth</c>
/// for <c>reference</c>; an item without <c>id</c> is named by its line number. A line that is not a
/// valid item stops the stream with a <see cref="DiagnosticException"/> located at that line.
/// </summary>
public static class BenchmarkReader
{
    private static readonly string[] PromptKeys = ["prompt", "question", "input"];
    private static readonly string[] ReferenceKeys = ["reference", "answer", "ground_truth", "target"];

    /// <summary>
    /// Streams the items of <paramref name="path"/>; reads at most <paramref name="limit"/> items when given.
    /// The file is read within <paramref name="files"/>' bounds (a regular file, its size and line length capped).
    /// </summary>
    public static async IAsyncEnumerable<BenchmarkItem> ReadAsync(string path, int? limit = null, [EnumeratorCancellation] CancellationToken cancellationToken = default, FileAccessPolicy? files = null)
    {
        var (lines, error) = SafeFile.OpenLines(path, files ?? FileAccessPolicy.Default, "benchmark");
        if (error is not null)
        {
            throw new DiagnosticException([error.Code == DiagnosticCodes.FileUnreadable
                ? Diagnostic.Error(EvaluationDiagnosticCodes.BenchmarkUnreadable, new SourceLocation(path, 0, 0), error.Message, "Check the path; a benchmark is a JSONL file, one item per line.")
                : error.ToDiagnostic(new SourceLocation(path, 0, 0))]);
        }

        await Task.Yield();
        using var reader = lines!.GetEnumerator();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var line = 0;
        var count = 0;
        while (limit is null || count < limit)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string text;
            try
            {
                if (!reader.MoveNext())
                {
                    yield break;
                }

                text = reader.Current;
            }
            catch (FileBoundException ex)
            {
                throw new DiagnosticException([ex.Error.ToDiagnostic(new SourceLocation(path, line + 1, 1))]);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new DiagnosticException([Diagnostic.Error(EvaluationDiagnosticCodes.BenchmarkUnreadable, new SourceLocation(path, line + 1, 1), $"cannot read the benchmark '{path}': {ex.Message}", "Check the file and the disk.")]);
            }

            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var item = Parse(text, path, line);
            if (!ids.Add(item.Id))
            {
                throw Error(EvaluationDiagnosticCodes.BenchmarkDuplicateId, path, line, $"duplicate item id '{item.Id}'", "Every item needs a unique id.");
            }

            count++;
            yield return item;
        }
    }

    /// <summary>Reads one line as an item.</summary>
    public static BenchmarkItem Parse(string json, string path, int line)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw Error(EvaluationDiagnosticCodes.BenchmarkBadLine, path, line, $"not a JSON object: {ex.Message}", "Each line is one JSON object: {\"id\": \"1\", \"prompt\": \"...\", \"reference\": \"...\"}.");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error(EvaluationDiagnosticCodes.BenchmarkBadLine, path, line, "not a JSON object", "Each line is one JSON object: {\"id\": \"1\", \"prompt\": \"...\", \"reference\": \"...\"}.");
            }

            var id = root.TryGetProperty("id", out var idNode) && idNode.ValueKind is JsonValueKind.String or JsonValueKind.Number
                ? (idNode.ValueKind == JsonValueKind.String ? idNode.GetString()! : idNode.GetRawText())
                : line.ToString(System.Globalization.CultureInfo.InvariantCulture);

            string? prompt = null;
            foreach (var key in PromptKeys)
            {
                if (root.TryGetProperty(key, out var p) && p.ValueKind == JsonValueKind.String)
                {
                    prompt = p.GetString();
                    break;
                }
            }

            var messages = ImmutableArray<ChatMessage>.Empty;
            if (root.TryGetProperty("messages", out var m))
            {
                messages = ReadMessages(m, path, line);
            }

            if (prompt is null && messages.IsEmpty)
            {
                throw Error(EvaluationDiagnosticCodes.BenchmarkMissingField, path, line, $"item '{id}' has no prompt", "Give \"prompt\" (a text) or \"messages\" (a list of {\"role\", \"content\"}).");
            }

            var references = ImmutableArray<string>.Empty;
            foreach (var key in ReferenceKeys)
            {
                if (root.TryGetProperty(key, out var r))
                {
                    references = r.ValueKind switch
                    {
                        JsonValueKind.String => [r.GetString()!],
                        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => [r.GetRawText()],
                        JsonValueKind.Array => [.. r.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText())],
                        _ => [],
                    };
                    break;
                }
            }

            JsonElement? metadata = root.TryGetProperty("metadata", out var meta) ? meta.Clone() : null;
            return new BenchmarkItem(id, prompt, messages, references, metadata);
        }
    }

    private static ImmutableArray<ChatMessage> ReadMessages(JsonElement node, string path, int line)
    {
        if (node.ValueKind != JsonValueKind.Array)
        {
            throw Error(EvaluationDiagnosticCodes.BenchmarkBadLine, path, line, "\"messages\" must be a list", "\"messages\": [{\"role\": \"user\", \"content\": \"...\"}]");
        }

        var list = ImmutableArray.CreateBuilder<ChatMessage>();
        foreach (var m in node.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                || !m.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
            {
                throw Error(EvaluationDiagnosticCodes.BenchmarkBadLine, path, line, "each message needs \"role\" and \"content\" (texts)", "\"messages\": [{\"role\": \"user\", \"content\": \"...\"}]");
            }

            list.Add(new ChatMessage(new ChatRole(role.GetString()!), content.GetString()));
        }

        return list.ToImmutable();
    }

    private static DiagnosticException Error(string code, string path, int line, string message, string hint) =>
        new([Diagnostic.Error(code, new SourceLocation(path, line, 1), message, hint)]);
}
