using Compose.Models.Middleware;

namespace Compose.Models.Providers;

/// <summary>How the host configures the <c>openai</c> provider (what a pipeline file does not say).</summary>
public sealed record OpenAIProviderOptions
{
    public static OpenAIProviderOptions Default { get; } = new();

    /// <summary>
    /// Backoff delays for retries (<see cref="RetryOptions.BaseDelay"/>, <see cref="RetryOptions.MaxDelay"/>);
    /// <c>max_retries</c> and <c>timeout_seconds</c> of each model replace its retry count and timeout.
    /// </summary>
    public RetryOptions Retry { get; init; } = RetryOptions.Default;

    /// <summary>
    /// When true (default) <see cref="OpenAIModelProvider.Create"/> wraps the client in <see cref="RetryingChatClient"/>.
    /// Set false when the runtime adds the retry itself (to put telemetry inside it); use
    /// <see cref="OpenAIModelProvider.GetRetryOptions"/> for the model's retry options.
    /// </summary>
    public bool IncludeRetry { get; init; } = true;
}
