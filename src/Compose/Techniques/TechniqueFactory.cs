using Compose.Language;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>Creates the technique that runs a technique spec.</summary>
public static class TechniqueFactory
{
    public static ITechnique Create(TechniqueSpec spec) => spec switch
    {
        GenerateSpec s => new Generate(s),
        CritiqueSpec s => new Critique(s),
        RankSpec s => new Rank(s),
        FuseSpec s => new Fuse(s),
        VerifySpec s => new Verify(s),
        RefineSpec s => new Refine(s),
        VoteSpec s => new Vote(s),
        UnitTestsSpec s => new UnitTests(s),
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "Unknown technique."),
    };
}
