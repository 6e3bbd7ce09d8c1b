namespace Compose.Runtime;

/// <summary>What one model call returned, with its usage and, when reported, the sum of token log-probabilities.</summary>
public sealed record ModelReply(string Text, Usage Usage, double? LogProbability, string Model)
{
    /// <summary>
    /// Why the reply ended, when the model said (<see cref="Compose.Models.ChatContinuation.StoppedByKey"/>): the stop
    /// sequence that ended it (not part of <see cref="Text"/>), <c>""</c> when the model ended its turn, null when unknown.
    /// </summary>
    public string? StoppedBy { get; init; }

    /// <summary>True when the token limit cut the reply.</summary>
    public bool Truncated { get; init; }
}
