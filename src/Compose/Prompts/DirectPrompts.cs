using System.Globalization;
using System.Text;
using Scriban.Runtime;

namespace Compose.Prompts;

/// <summary>
/// Plain-code renderers of the built-in templates on every call's path (generate, critique, rank_listwise, fuse,
/// verify, step), each writing exactly what its Scriban template renders for the data its technique gives (a question,
/// candidates with an index, a text and critiques) and null for data of another shape, which is then interpreted.
/// DirectTemplateTests holds each to its template over random data.
/// </summary>
internal static class DirectPrompts
{
    public static string? Generate(ScriptObject model)
    {
        if (!TryQuestion(model, out var question) || !TryCandidates(model, out var candidates))
        {
            return null;
        }

        if (candidates.Count == 0)
        {
            return question;
        }

        var sb = new StringBuilder(256 + question.Length);
        sb.Append("You have been given responses from several models to the question below. Critically evaluate them: some may be biased or incorrect. Write a single, accurate, well-reasoned answer of your own; do not simply copy them.\n\nResponses:");
        foreach (var c in candidates)
        {
            sb.Append("\n[").Append(c.Index).Append("] ").Append(c.Text);
        }

        return sb.Append("\n\nQuestion: ").Append(question).ToString();
    }

    public static string? Critique(ScriptObject model) =>
        TryQuestion(model, out var question) && TryCandidate(model, "candidate", out var candidate)
            ? string.Concat(
                "Evaluate the response below to the question. List its strengths and weaknesses as short bullet points under the headings \"Strengths:\" and \"Weaknesses:\". Be specific and brief; do not rewrite the answer.\n\nQuestion: ",
                question, "\n\nResponse:\n", candidate.Text)
            : null;

    public static string? Verify(ScriptObject model)
    {
        if (!TryQuestion(model, out var question) || !TryCandidate(model, "candidate", out var candidate)
            || (model.TryGetValue("reasoning", out var reasoning) && reasoning is not null))
        {
            return null; // with reasoning (verify_reasoning's second call) the interpreter renders it
        }

        return string.Concat(
            "Is the response below a correct answer to the question? Think about it, then end with a final line \"Verdict: yes\" or \"Verdict: no\".\n\nQuestion: ",
            question, "\n\nResponse:\n", candidate.Text);
    }

    public static string? RankListwise(ScriptObject model) => Listed(
        model,
        "Rank the ",
        " responses below by how well they answer the question: accuracy first, then completeness and clarity.\n\nQuestion: ",
        "\n\nReply with the ranking only, best first, as identifiers separated by \">\", for example: [2] > [1] > [3].");

    public static string? Fuse(ScriptObject model) => Listed(
        model,
        "You have been given ",
        " responses to the question below. Synthesize them into a single, high-quality answer: keep what is correct, fix what is wrong, and do not mention the responses themselves.\n\nQuestion: ",
        "\n\nWrite the final answer only.");

    public static string? Step(ScriptObject model) =>
        TryQuestion(model, out var question) && TryCandidates(model, out _)
            ? string.Concat(question, "\n\nSolve this step by step. Write one step per paragraph, separated by a blank line, and end with a last line \"Answer: \" followed by the answer.")
            : null;

    /// <summary>rank_listwise and fuse: a head with the count, the question, each candidate with its critiques, a tail.</summary>
    private static string? Listed(ScriptObject model, string head, string afterCount, string tail)
    {
        if (!TryQuestion(model, out var question) || !TryCandidates(model, out var candidates))
        {
            return null;
        }

        // Measured first, then written once into the string (no builder's buffers).
        var count = candidates.Count.ToString(CultureInfo.InvariantCulture);
        var length = head.Length + count.Length + afterCount.Length + question.Length + tail.Length;
        foreach (var c in candidates)
        {
            length += "\n\n[".Length + c.Index.Length + "] ".Length + c.Text.Length;
            if (c.Critiques is { Count: > 0 } critiques)
            {
                length += "\nCritique of [".Length + c.Index.Length + "]: ".Length + critiques.Count - 1;
                for (var k = 0; k < critiques.Count; k++)
                {
                    length += ((string)critiques[k]!).Length;
                }
            }
        }

        return string.Create(length, (head, count, afterCount, question, candidates, tail), static (span, parts) =>
        {
            var writer = new SpanWriter(span);
            writer.Write(parts.head);
            writer.Write(parts.count);
            writer.Write(parts.afterCount);
            writer.Write(parts.question);
            foreach (var c in parts.candidates)
            {
                writer.Write("\n\n[");
                writer.Write(c.Index);
                writer.Write("] ");
                writer.Write(c.Text);
                if (c.Critiques is { Count: > 0 } critiques)
                {
                    writer.Write("\nCritique of [");
                    writer.Write(c.Index);
                    writer.Write("]: ");
                    for (var k = 0; k < critiques.Count; k++)
                    {
                        writer.Write(k == 0 ? "" : "\n");
                        writer.Write((string)critiques[k]!);
                    }
                }
            }

            writer.Write(parts.tail);
        });
    }

    /// <summary>Writes strings one after another into a span sized for them.</summary>
    private ref struct SpanWriter(Span<char> span)
    {
        private Span<char> _rest = span;

        public void Write(string text)
        {
            text.CopyTo(_rest);
            _rest = _rest[text.Length..];
        }
    }

    private readonly record struct Shown(string Index, string Text, ScriptArray? Critiques);

    private static bool TryQuestion(ScriptObject model, out string question)
    {
        question = model.TryGetValue("question", out var q) && q is string text ? text : "";
        return q is string;
    }

    private static bool TryCandidates(ScriptObject model, out List<Shown> candidates)
    {
        if (!model.TryGetValue("candidates", out var value) || value is not ScriptArray array)
        {
            candidates = [];
            return false;
        }

        candidates = new List<Shown>(array.Count);

        foreach (var item in array)
        {
            if (item is not ScriptObject candidate || !TryShown(candidate, out var shown))
            {
                return false;
            }

            candidates.Add(shown);
        }

        return true;
    }

    private static bool TryCandidate(ScriptObject model, string key, out Shown shown)
    {
        shown = default;
        return model.TryGetValue(key, out var value) && value is ScriptObject candidate && TryShown(candidate, out shown);
    }

    private static bool TryShown(ScriptObject candidate, out Shown shown)
    {
        shown = default;
        if (!candidate.TryGetValue("index", out var index) || index is not int i
            || !candidate.TryGetValue("text", out var text) || text is not string t)
        {
            return false;
        }

        ScriptArray? critiques = null;
        if (candidate.TryGetValue("critiques", out var list) && list is not null)
        {
            if (list is not ScriptArray array || array.Any(c => c is not string))
            {
                return false;
            }

            critiques = array;
        }

        shown = new Shown(i.ToString(CultureInfo.InvariantCulture), t, critiques);
        return true;
    }
}
