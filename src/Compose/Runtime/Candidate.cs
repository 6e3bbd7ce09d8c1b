using System.Collections.Immutable;

namespace Compose.Runtime;

/// <summary>
/// One candidate answer as it flows through the layers. Immutable: a technique that critiques,
/// scores or tests a candidate returns a new one with the addition, so concurrent nodes share nothing mutable.
/// </summary>
public sealed record Candidate
{
    /// <summary>Stable id within a run, e.g. <c>g0.m1.s3</c> (node, model, sample).</summary>
    public required string Id { get; init; }

    public required string Text { get; init; }

    /// <summary>The node that produced the text.</summary>
    public required string Producer { get; init; }

    /// <summary>The model that produced the text (null for program-made candidates).</summary>
    public string? Model { get; init; }

    /// <summary>Sample index within the producer.</summary>
    public int Sample { get; init; }

    /// <summary>Candidates this one was made from (a fuse's inputs, a refine's original).</summary>
    public ImmutableArray<string> Parents { get; init; } = [];

    public ImmutableArray<CandidateCritique> Critiques { get; init; } = [];

    /// <summary>The most recent score (rank position score, pointwise score, tests passed share, log-probability...).</summary>
    public double? Score { get; init; }

    /// <summary>Null until a verifier judged it.</summary>
    public bool? Verified { get; init; }

    public ImmutableArray<TestResult> Tests { get; init; } = [];

    /// <summary>Tokens and calls spent producing this candidate's text.</summary>
    public Usage Usage { get; init; } = Usage.Zero;

    /// <summary>Sum of the log-probabilities of the generated tokens, when the model reported them.</summary>
    public double? LogProbability { get; init; }

    /// <summary>The confidence summaries of its tokens (DeepConf), when they were asked for and the model reported them.</summary>
    public ConfidenceSummary? Confidence { get; init; }

    /// <summary>Null for a finished answer; why it was stopped part way (<see cref="ModelReply.Stopped"/>) otherwise.</summary>
    public string? Stopped { get; init; }
}

/// <summary>A critique of one candidate, kept with it.</summary>
public sealed record CandidateCritique(string Text, string Producer, string? Model);

/// <summary>One unit test applied to one candidate.</summary>
public sealed record TestResult(int Index, string Test, bool Passed, string? Detail);
