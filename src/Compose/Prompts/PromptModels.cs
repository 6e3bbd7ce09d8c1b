using Compose.Runtime;
using Scriban.Runtime;

namespace Compose.Prompts;

/// <summary>Builds the data a template sees. Everything is plain data (strings, numbers, arrays).</summary>
public static class PromptModels
{
    public static ScriptObject ForQuestion(string question)
    {
        var model = new ScriptObject
        {
            ["question"] = question,
            ["candidates"] = new ScriptArray(),
        };
        return model;
    }

    public static ScriptObject Candidate(Candidate candidate, int index, bool withCritiques)
    {
        var critiques = new ScriptArray();
        if (withCritiques)
        {
            foreach (var c in candidate.Critiques)
            {
                critiques.Add(c.Text);
            }
        }

        return new ScriptObject
        {
            ["index"] = index,
            ["id"] = candidate.Id,
            ["text"] = candidate.Text,
            ["critiques"] = critiques,
            ["score"] = candidate.Score,
            ["model"] = candidate.Model ?? "",
        };
    }

    public static ScriptArray Candidates(IReadOnlyList<Candidate> candidates, bool withCritiques)
    {
        var array = new ScriptArray();
        for (var i = 0; i < candidates.Count; i++)
        {
            array.Add(Candidate(candidates[i], i + 1, withCritiques));
        }

        return array;
    }

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
