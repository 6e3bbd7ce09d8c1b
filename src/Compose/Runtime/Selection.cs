using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Compose.Language;

namespace Compose.Runtime;

/// <summary>Picks the final answer from the surviving candidates. Deterministic: never a random pick.</summary>
public static class Selection
{
    public static Candidate? Select(OutputSpec output, ImmutableArray<Candidate> candidates)
    {
        if (candidates.IsDefaultOrEmpty)
        {
            return null;
        }

        return output.Kind switch
        {
            SelectionKind.First => candidates[0],
            SelectionKind.BestScore => candidates
                .Select((c, i) => (c, i))
                .OrderByDescending(x => x.c.Score ?? double.NegativeInfinity)
                .ThenBy(x => x.i)
                .First().c,
            SelectionKind.BestLogProb => candidates
                .Select((c, i) => (c, i))
                .OrderByDescending(x => x.c.LogProbability ?? double.NegativeInfinity)
                .ThenBy(x => x.i)
                .First().c,
            SelectionKind.Vote => Majority(candidates, output.Extract is null ? null : new UserRegex(output.Extract, "output extract"), output.TieBreak).Winners.FirstOrDefault() ?? candidates[0],
            _ => candidates[0],
        };
    }

    /// <summary>
    /// Groups candidates by extracted answer and returns the candidates of the most frequent one (in
    /// input order) and the winning answer. Candidates with no extractable answer do not vote.
    /// </summary>
    public static (ImmutableArray<Candidate> Winners, string? Answer, double Share) Majority(
        ImmutableArray<Candidate> candidates, UserRegex? extract, TieBreak tieBreak)
    {
        var count = Count(candidates, extract, tieBreak);
        return (count.Winners, count.Answer, count.Share);
    }

    /// <summary>Like <see cref="Majority"/>, with the whole tally: every answer, its votes and its candidates, most votes first.</summary>
    public static MajorityCount Count(ImmutableArray<Candidate> candidates, UserRegex? extract, TieBreak tieBreak)
    {
        var groups = new List<(string Answer, List<(Candidate C, int Index)> Members)>();
        for (var i = 0; i < candidates.Length; i++)
        {
            var answer = AnswerExtractor.Extract(candidates[i].Text, extract);
            if (answer is null)
            {
                continue;
            }

            var group = groups.FindIndex(g => g.Answer == answer);
            if (group < 0)
            {
                groups.Add((answer, [(candidates[i], i)]));
            }
            else
            {
                groups[group].Members.Add((candidates[i], i));
            }
        }

        if (groups.Count == 0)
        {
            return new MajorityCount(candidates, null, 0, [], candidates.Length);
        }

        var voters = groups.Sum(g => g.Members.Count);
        var best = groups
            .OrderByDescending(g => g.Members.Count)
            .ThenByDescending(g => tieBreak == TieBreak.Score ? g.Members.Sum(m => m.C.Score ?? 0) : 0)
            .ThenBy(g => tieBreak == TieBreak.Shortest ? g.Members.Min(m => m.C.Text.Length) : 0)
            .ThenBy(g => g.Members[0].Index)
            .First();
        ImmutableArray<AnswerVotes> tally = [.. groups.OrderByDescending(g => g.Members.Count).ThenBy(g => g.Members[0].Index)
            .Select(g => new AnswerVotes(g.Answer, g.Members.Count, [.. g.Members.Select(m => m.C.Id)]))];
        return new MajorityCount([.. best.Members.Select(m => m.C)], best.Answer, (double)best.Members.Count / voters, tally, candidates.Length - voters);
    }
}

/// <summary>
/// The outcome of a vote: the winners, the winning answer and its share, the whole tally, and how many
/// candidates abstained (no extractable answer, so no vote).
/// </summary>
public sealed record MajorityCount(ImmutableArray<Candidate> Winners, string? Answer, double Share, ImmutableArray<AnswerVotes> Tally, int Abstained);

/// <summary>One answer of a vote, with its votes and the candidates that gave it.</summary>
public sealed record AnswerVotes(string Answer, int Votes, ImmutableArray<string> Candidates);
