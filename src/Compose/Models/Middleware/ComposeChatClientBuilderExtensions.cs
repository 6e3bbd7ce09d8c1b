using Microsoft.Extensions.AI;

namespace Compose.Models.Middleware;

/// <summary><see cref="ChatClientBuilder"/> extensions for Compose's own middleware.</summary>
public static class ComposeChatClientBuilderExtensions
{
    /// <summary>Meters usage and enforces the current question's budget (see <see cref="UsageBudgetChatClient"/>).</summary>
    public static ChatClientBuilder UseUsageBudget(this ChatClientBuilder builder, string modelName) =>
        builder.Use(inner => new UsageBudgetChatClient(inner, modelName));

    /// <summary>Limits calls in flight to <paramref name="limit"/> (no-op when null).</summary>
    public static ChatClientBuilder UseConcurrencyLimit(this ChatClientBuilder builder, int? limit) =>
        limit is { } l ? builder.Use(inner => new ConcurrencyLimitingChatClient(inner, l)) : builder;
}
