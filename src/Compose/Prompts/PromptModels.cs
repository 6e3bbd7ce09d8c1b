using Scriban.Runtime;

namespace Compose.Prompts;

/// <summary>Builds the data a template sees. Everything is plain data (strings, numbers, arrays).</summary>
public static class PromptModels
{
    public static ScriptObject ForQuestion(string question)
    {
        // Room for the question, the candidates and the one more entry a technique usually sets (no resize).
        var model = new ScriptObject(3)
        {
            ["question"] = question,
            ["candidates"] = new ScriptArray(),
        };
        return model;
    }

    /// <summary>One candidate as a template sees it: <c>index</c> (1-based), <c>id</c>, <c>text</c>, <c>critiques</c>, <c>score</c>, <c>model</c>.</summary>
    public static ScriptObject Candidate(int index, string id, string text, IEnumerable<string> critiques, double? score, string? model) => new(6)
    {
        ["index"] = index,
        ["id"] = id,
        ["text"] = text,
        ["critiques"] = Strings(critiques),
        ["score"] = score,
        ["model"] = model ?? "",
    };

    public static ScriptArray Strings(IEnumerable<string> values)
    {
        var array = new ScriptArray();
        foreach (var v in values)
        {
            array.Add(v);
        }

        return array;
    }
}
