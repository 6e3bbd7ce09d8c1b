namespace Compose.Compilation;

/// <summary>Static bound of what one node asks of one model: calls and total tokens in and out.</summary>
internal sealed record ModelCalls(string? Model, long Calls, long InputTokens, long OutputTokens)
{
    public CostBound ToBound() => new(Saturating.ToInt(Calls), InputTokens, OutputTokens);
}
