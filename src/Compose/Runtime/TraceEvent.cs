using System.Text.Json.Serialization;

namespace Compose.Runtime;

/// <summary>One line of a run's trace. Every model call and every intermediate candidate is one event.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "event")]
[JsonDerivedType(typeof(RunStarted), "run_start")]
[JsonDerivedType(typeof(ModelCalled), "call")]
[JsonDerivedType(typeof(CandidateProduced), "candidate")]
[JsonDerivedType(typeof(LayerFinished), "layer")]
[JsonDerivedType(typeof(RunFinished), "run_end")]
[JsonDerivedType(typeof(RunWarning), "warning")]
[JsonDerivedType(typeof(VoteCounted), "vote")]
[JsonDerivedType(typeof(TechniqueEvent), "technique")]
public abstract record TraceEvent
{
    /// <summary>Identifies the question within a trace (several questions may share one file).</summary>
    public required string QuestionId { get; init; }

    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;
}

public sealed record RunStarted(string Pipeline, string Question, long Seed) : TraceEvent;

public sealed record ModelCalled(
    string Node,
    string Purpose,
    string Model,
    int Sample,
    long? CallSeed,
    IReadOnlyList<TraceMessage> Messages,
    string? Response,
    long InputTokens,
    long OutputTokens,
    double LatencyMs,
    string? Error) : TraceEvent
{
    /// <summary>True when the reply came from a cache in front of the model: nothing was spent (tokens 0).</summary>
    public bool? Cached { get; init; }
}

public sealed record TraceMessage(string Role, string Text);

public sealed record CandidateProduced(string Node, int Layer, Candidate Candidate) : TraceEvent;

public sealed record LayerFinished(int Layer, IReadOnlyList<string> Survivors, double ElapsedMs) : TraceEvent;

/// <summary>A vote's tally (a <c>vote</c> layer, or <c>output: vote</c> with node <c>output</c>): every answer and its votes.</summary>
public sealed record VoteCounted(string Node, string? Answer, double Share, System.Collections.Immutable.ImmutableArray<AnswerVotes> Tally, int Abstained) : TraceEvent;

/// <summary>Something the user should know about a run that went on (a user regex that timed out, ...).</summary>
public sealed record RunWarning(string Message) : TraceEvent
{
    /// <summary>The warning's diagnostic code, when it has one (<c>CMP706</c> for a user regex that timed out).</summary>
    public string? Code { get; init; }
}

/// <summary>
/// An event of a technique's own (a filter's counts, a search's expansions): a name and its values, written to the
/// trace like every event. Techniques outside Compose report through this (<c>TechniqueContext.Report</c>).
/// </summary>
public sealed record TechniqueEvent(string Node, string Name, System.Collections.Immutable.ImmutableDictionary<string, string> Data) : TraceEvent;

public sealed record RunFinished(string? Answer, string? AnswerCandidate, bool BudgetExhausted, string? Error, Usage Usage, double ElapsedMs) : TraceEvent;
