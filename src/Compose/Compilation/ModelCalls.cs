namespace Compose.Compilation;

/// <summary>Static bound of what one node asks of one model: calls and total tokens in and out (null model: the default).</summary>
public sealed record ModelCalls(string? Model, long Calls, long InputTokens, long OutputTokens)
{
    public CostBound ToBound() => new(Saturating.ToInt(Calls), InputTokens, OutputTokens);

    /// <summary><paramref name="calls"/> calls of <paramref name="model"/>, each sending at most <paramref name="inputPerCall"/> tokens and receiving at most <paramref name="outputPerCall"/>.</summary>
    public static ModelCalls Of(string? model, long calls, long inputPerCall, long outputPerCall) =>
        new(model, calls, Saturating.Mul(calls, inputPerCall), Saturating.Mul(calls, outputPerCall));
}
