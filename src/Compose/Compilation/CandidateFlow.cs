namespace Compose.Compilation;

/// <summary>
/// Static upper bounds on what flows between layers: how many candidates, the tokens of each
/// candidate's text and of the critiques it carries.
/// </summary>
public sealed record CandidateFlow(long Count, long CandidateTokens, long CritiqueTokens)
{
    public static CandidateFlow Start { get; } = new(0, 0, 0);

    /// <summary>Side-by-side outputs are concatenated: counts add up, sizes take the largest.</summary>
    public static CandidateFlow Concat(IReadOnlyList<CandidateFlow> outputs) =>
        outputs.Count == 0
            ? Start
            : new(
                outputs.Aggregate(0L, (sum, o) => Saturating.Add(sum, o.Count)),
                outputs.Max(o => o.CandidateTokens),
                outputs.Max(o => o.CritiqueTokens));
}
