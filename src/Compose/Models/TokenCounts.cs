namespace Compose.Models;

/// <summary>Bounds on token counts a model reports.</summary>
public static class TokenCounts
{
    /// <summary>The most tokens one call may report in or out; a larger count from an upstream is implausible and is not believed.</summary>
    public const long MaxPerCall = 100_000_000;
}
