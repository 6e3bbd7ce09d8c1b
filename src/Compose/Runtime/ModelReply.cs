namespace Compose.Runtime;

/// <summary>What one model call returned, with its usage and, when reported, the sum of token log-probabilities.</summary>
public sealed record ModelReply(string Text, Usage Usage, double? LogProbability, string Model)
{
    /// <summary>
    /// Why the reply ended, when the model said (<see cref="Compose.Models.ChatContinuation.StoppedByKey"/>): the stop
    /// sequence that ended it (not part of <see cref="Text"/>), <c>""</c> when the model ended its turn, null when unknown.
    /// </summary>
    public string? StoppedBy { get; init; }

    /// <summary>True when the token limit cut the reply (or it was stopped part way).</summary>
    public bool Truncated { get; init; }

    /// <summary><see cref="Stopped"/> of a reply whose caller cancelled it (its outcome could no longer matter).</summary>
    public const string StoppedByCaller = "cancelled";

    /// <summary><see cref="Stopped"/> of a reply its token monitor stopped (e.g. its running confidence fell below a threshold).</summary>
    public const string StoppedByMonitor = "monitor";

    /// <summary>
    /// Null for a reply the model finished; <see cref="StoppedByCaller"/> or <see cref="StoppedByMonitor"/> for one stopped part way
    /// (<see cref="TechniqueContext.SampleAsync"/>): <see cref="Text"/> is what was generated, <see cref="Usage"/> what was billed.
    /// </summary>
    public string? Stopped { get; init; }

    /// <summary>The reply's tokens with their log-probabilities and alternatives, when they were asked for and the model reported them.</summary>
    public System.Collections.Immutable.ImmutableArray<Compose.Models.TokenLogProbability> Tokens { get; init; } = [];
}
