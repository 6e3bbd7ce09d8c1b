namespace Compose.Runtime;

/// <summary>Calls and tokens spent, and money where prices are known. Immutable and additive.</summary>
public readonly record struct Usage(int Calls, long InputTokens, long OutputTokens, decimal Cost)
{
    public static Usage Zero => default;

    public long TotalTokens => InputTokens + OutputTokens;

    public static Usage operator +(Usage a, Usage b) =>
        new(a.Calls + b.Calls, a.InputTokens + b.InputTokens, a.OutputTokens + b.OutputTokens, a.Cost + b.Cost);
}
