namespace Compose.Runtime;

/// <summary>What one model call returned, with its usage and, when reported, the sum of token log-probabilities.</summary>
public sealed record ModelReply(string Text, Usage Usage, double? LogProbability, string Model);
