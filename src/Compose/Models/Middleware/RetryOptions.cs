namespace Compose.Models.Middleware;

/// <summary>
/// How <see cref="RetryingChatClient"/> retries a model call: at most <see cref="MaxRetries"/> retries
/// (so <c>MaxRetries + 1</c> attempts), exponential backoff with jitter from <see cref="BaseDelay"/> capped at
/// <see cref="MaxDelay"/> (a server's <c>Retry-After</c> wins, also capped), and each attempt given at most
/// <see cref="Timeout"/> (for streaming: until the first update arrives).
/// </summary>
public sealed record RetryOptions
{
    /// <summary>The defaults of the <c>openai</c> provider: 3 retries, 1 s base delay, 30 s cap, 100 s per attempt.</summary>
    public static RetryOptions Default { get; } = new();

    /// <summary>Retries after the first attempt; 0 turns retrying off (the timeout still applies).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The delay before the first retry; later retries double it (with jitter).</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts, also for a server's <c>Retry-After</c>.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for no limit.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Total attempts at most (the first plus the retries).</summary>
    public int MaxAttempts => MaxRetries + 1;
}
