using Compose.Language;

namespace Compose.Runtime;

/// <summary>Options of one run of a compiled pipeline.</summary>
public sealed record RunOptions
{
    public static RunOptions Default { get; } = new();

    /// <summary>The run seed; every call's seed derives from it.</summary>
    public long Seed { get; init; }

    /// <summary>Overrides the pipeline's per-question budget.</summary>
    public BudgetSpec? Budget { get; init; }

    public ITraceSink Trace { get; init; } = NullTraceSink.Instance;

    /// <summary>Identifies the question in traces.</summary>
    public string? QuestionId { get; init; }
}

/// <summary>What a run produced. <see cref="Answer"/> is null when the run failed or nothing survived.</summary>
public sealed record RunResult
{
    public required string QuestionId { get; init; }

    public string? Answer => AnswerCandidate?.Text;

    public Candidate? AnswerCandidate { get; init; }

    /// <summary>The candidates that survived the last layer that completed.</summary>
    public System.Collections.Immutable.ImmutableArray<Candidate> Survivors { get; init; } = [];

    /// <summary>
    /// Every candidate of the run, each once (by id), in the order first produced, as its latest version: a
    /// candidate a later layer critiqued, scored or verified carries what that layer added.
    /// </summary>
    public System.Collections.Immutable.ImmutableArray<Candidate> AllCandidates { get; init; } = [];

    /// <summary>The ids of the candidates each completed layer passed on, layer by layer.</summary>
    public System.Collections.Immutable.ImmutableArray<System.Collections.Immutable.ImmutableArray<string>> LayerOutputs { get; init; } = [];

    /// <summary>The tally of every vote of the run (<c>vote</c> layers, and <c>output: vote</c> as node <c>output</c>).</summary>
    public System.Collections.Immutable.ImmutableArray<VoteCounted> Votes { get; init; } = [];

    public Usage Usage { get; init; }

    /// <summary>True when the budget stopped the run early; the answer is then the best result so far.</summary>
    public bool BudgetExhausted { get; init; }

    /// <summary>Layers that ran to completion.</summary>
    public int LayersCompleted { get; init; }

    /// <summary>Why the run failed (a model error, verify with on_none: fail, ...); null on success.</summary>
    public string? Error { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>What the user should know about a run that still answered: a user regex that timed out, ... (empty when none).</summary>
    public System.Collections.Immutable.ImmutableArray<string> Warnings { get; init; } = [];

    /// <summary>The same warnings as events, each with its code when it has one (a user regex that timed out: <c>CMP706</c>; a technique's own: none).</summary>
    public System.Collections.Immutable.ImmutableArray<RunWarning> WarningEvents { get; init; } = [];

    public bool Succeeded => Error is null && AnswerCandidate is not null;
}
