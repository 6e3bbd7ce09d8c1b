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
[JsonDerivedType(typeof(SearchStep), "search_step")]
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

    /// <summary>
    /// Why the call was stopped part way (<c>cancelled</c>: its outcome could no longer matter; <c>monitor</c>: its running
    /// confidence fell below a threshold); null for a reply the model finished. Its tokens are what it produced.
    /// </summary>
    public string? Stopped { get; init; }
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

/// <summary>
/// One step of a step-level search (beam search, particle filtering): every path's state after the step, and the
/// resampling or selection that chose the paths continued into the next step.
/// </summary>
/// <param name="Node">The search's node id.</param>
/// <param name="Iteration">The particle Gibbs iteration (0 for other searches).</param>
/// <param name="Step">The step, from 1.</param>
/// <param name="Paths">Each path after the step: id, the path it continues, the step's text, rewards and weight.</param>
/// <param name="Selection">How the next step's paths were chosen from these (null after the last step).</param>
public sealed record SearchStep(string Node, int Iteration, int Step, System.Collections.Immutable.ImmutableArray<SearchPath> Paths, SearchSelection? Selection) : TraceEvent;

/// <summary>
/// A path of a step-level search after one step.
/// </summary>
/// <param name="Id">Its id (<c>NODE.i0.s3.p2</c>: iteration, step, slot).</param>
/// <param name="Parent">The path it continues (null at the first step).</param>
/// <param name="Text">The step written at this step (empty when the path had already finished).</param>
/// <param name="StepReward">The reward of this step's prefix.</param>
/// <param name="Reward">The path's reward, the step rewards aggregated.</param>
/// <param name="Weight">Its resampling weight (the softmax probability), or null where none is computed (beam search).</param>
/// <param name="Finished">True when the path's answer is complete.</param>
public sealed record SearchPath(string Id, string? Parent, string Text, double StepReward, double Reward, double? Weight, bool Finished);

/// <summary>
/// How a search chose the paths it continues: the method (<c>multinomial</c>, <c>systematic</c>, <c>top</c>), the
/// uniform draws it used, the index of the path each slot continues, and for tempered resampling the temperature and
/// the effective sample size that set it.
/// </summary>
public sealed record SearchSelection(
    string Method,
    System.Collections.Immutable.ImmutableArray<double> Draws,
    System.Collections.Immutable.ImmutableArray<int> Chosen,
    double Temperature,
    double? EffectiveSampleSize);

public sealed record RunFinished(string? Answer, string? AnswerCandidate, bool BudgetExhausted, string? Error, Usage Usage, double ElapsedMs) : TraceEvent;
