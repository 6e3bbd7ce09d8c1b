using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Compose.Models.Middleware;

/// <summary>Adds <see cref="RetryingChatClient"/> to a <see cref="ChatClientBuilder"/>.</summary>
public static class RetryingChatClientBuilderExtensions
{
    /// <summary>
    /// Retries transient failures of the clients added after this one (see <see cref="RetryingChatClient"/>).
    /// Add it before <c>UseOpenTelemetry</c> so that every attempt gets its own span.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="options">How often and how long to retry.</param>
    /// <param name="modelName">The model's name for messages and logs (default: the inner client's model id).</param>
    /// <param name="loggerFactory">Where retries are logged (default: the builder's services' <see cref="ILoggerFactory"/>, if any).</param>
    public static ChatClientBuilder UseComposeRetry(
        this ChatClientBuilder builder,
        RetryOptions options,
        string? modelName = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.Use((innerClient, services) =>
        {
            var factory = loggerFactory ?? services.GetService(typeof(ILoggerFactory)) as ILoggerFactory;
            return new RetryingChatClient(innerClient, options, modelName, factory?.CreateLogger<RetryingChatClient>());
        });
    }
}
