using System.Text.Json;
using Compose.Runtime;

namespace Compose.Tools.Arith;

/// <summary>One line of benchmarks/arith/test.jsonl: <c>id</c>, <c>prompt</c>, <c>reference</c>.</summary>
internal sealed record BenchmarkItem(string Id, string Prompt, string Reference)
{
    public static IReadOnlyList<BenchmarkItem> Load(string path) =>
        [.. File.ReadLines(path).Where(l => l.Trim().Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new BenchmarkItem(r.GetProperty("id").GetString()!, r.GetProperty("prompt").GetString()!, r.GetProperty("reference").GetString()!);
        })];

    /// <summary>The declared scorer: the number the built-in extractor reads from the text equals the reference.</summary>
    public bool IsCorrect(string? text) =>
        text is not null
        && AnswerExtractor.TryNumber(AnswerExtractor.Extract(text), out var got)
        && AnswerExtractor.TryNumber(Reference, out var want)
        && got == want;
}
