using Microsoft.Extensions.AI;

namespace Compose.Models.Middleware;

/// <summary><see cref="ChatClientBuilder"/> extensions for Compose's own middleware.</summary>
public static class ComposeChatClientBuilderExtensions
{
    /// <summary>Limits calls in flight to <paramref name="limit"/> (no-op when null).</summary>
    public static ChatClientBuilder UseConcurrencyLimit(this ChatClientBuilder builder, int? limit) =>
        limit is { } l ? builder.Use(inner => new ConcurrencyLimitingChatClient(inner, l)) : builder;
}
