using Compose.Prompts;
using Scriban.Runtime;

namespace Compose.Runtime;

/// <summary>Candidates as the data a prompt template sees (see <see cref="PromptModels.Candidate"/>).</summary>
public static class CandidatePrompts
{
    /// <summary>One candidate; its critiques' texts only when <paramref name="withCritiques"/>.</summary>
    public static ScriptObject Candidate(Candidate candidate, int index, bool withCritiques)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return PromptModels.Candidate(
            index,
            candidate.Id,
            candidate.Text,
            withCritiques ? candidate.Critiques.Select(c => c.Text) : [],
            candidate.Score,
            candidate.Model);
    }

    /// <summary>The candidates, numbered from 1.</summary>
    public static ScriptArray Candidates(IReadOnlyList<Candidate> candidates, bool withCritiques)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var array = new ScriptArray();
        for (var i = 0; i < candidates.Count; i++)
        {
            array.Add(Candidate(candidates[i], i + 1, withCritiques));
        }

        return array;
    }
}
