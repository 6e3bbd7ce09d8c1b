using System.Collections.Immutable;
using Compose.Compilation;
using Compose.Language;
using Compose.Runtime;

namespace Compose.Techniques;

/// <summary>Self-consistency: extract each candidate's answer and keep the candidates of the most frequent one.</summary>
public sealed record VoteSpec(string? Extract, TieBreak TieBreak, SourceLocation Location) : TechniqueSpec(Location)
{
    public override string Kind => "vote";
}

/// <summary><c>vote</c>: self-consistency over the candidates' extracted answers; no model call.</summary>
public sealed class VoteDefinition : TechniqueDefinition<VoteSpec>
{
    public override string Key => "vote";

    public override string Summary => "Self-consistency: extracts each candidate's answer and keeps the candidates of the most frequent one; no model call.";

    public override ImmutableArray<TechniqueOption> Options { get; } =
    [
        new("extract", "A regular expression whose first group is the answer (default: the built-in answer extractor)."),
        new("tie_break", "Between equally frequent answers: first, score or shortest (default first).") { Words = PipelineKeys.TieBreaks },
    ];

    public override VoteSpec Read(TechniqueReader reader) => new(
        reader.Pattern("extract", needsGroup: true),
        reader.Word("tie_break", PipelineKeys.TieBreaks, [TieBreak.First, TieBreak.Score, TieBreak.Shortest]) ?? TieBreak.First,
        reader.Location);

    public override TechniqueNeeds Needs(VoteSpec spec) => new() { SeveralCandidates = true };

    public override TechniqueBounds Bounds(VoteSpec spec, BoundsInput input) => TechniqueBounds.NoCalls(input.Input);

    public override ITechnique Create(VoteSpec spec) => new Vote(spec);
}
