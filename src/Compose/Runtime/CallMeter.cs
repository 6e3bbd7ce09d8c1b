namespace Compose.Runtime;

/// <summary>
/// What the usage-budget middleware metered for one model call, handed back to the call that made it: a slip set in
/// the calling flow before the call (an <see cref="AsyncLocal{T}"/>, so concurrent calls each see their own, and a
/// nested pipeline's calls set theirs without touching it). Usage and cost are then computed once, by the budget, and
/// the candidate's usage always agrees with the question's: a reply served before the middleware (an outer cache) is
/// metered as nothing.
/// </summary>
internal sealed class CallMeter
{
    private static readonly AsyncLocal<CallMeter?> CurrentMeter = new();

    /// <summary>The slip of the call in progress in this flow, if any.</summary>
    public static CallMeter? Current => CurrentMeter.Value;

    /// <summary>What the budget recorded for the call; null when the call never reached a metered model stack.</summary>
    public Usage? Metered { get; set; }

    /// <summary>Sets a fresh slip for the calling flow (an async method's change ends with it).</summary>
    public static CallMeter Start()
    {
        var meter = new CallMeter();
        CurrentMeter.Value = meter;
        return meter;
    }
}
