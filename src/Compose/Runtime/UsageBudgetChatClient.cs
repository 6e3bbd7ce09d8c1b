using System.Runtime.CompilerServices;
using Compose.Models;
using Microsoft.Extensions.AI;

namespace Compose.Runtime;

/// <summary>
/// Meters every call against the budget of the current question (<see cref="QuestionScope"/>):
/// reserves the call before it is made (refusing with <see cref="BudgetExceededException"/> when the
/// budget is spent) and records its tokens and cost when it returns. A call never asks for more output
/// tokens than the question's token (or cost) budget has left when it starts: its <c>MaxOutputTokens</c> is
/// lowered to that. Outside a question scope it passes calls through.
/// </summary>
public sealed class UsageBudgetChatClient(IChatClient inner, string modelName) : DelegatingChatClient(inner)
{
    /// <summary><paramref name="options"/> with <c>MaxOutputTokens</c> at most <paramref name="cap"/> (a copy; the caller's options are not changed).</summary>
    internal static ChatOptions? Capped(ChatOptions? options, long? cap)
    {
        // A call that names no limit keeps the model's own (Compose always names one: max_tokens defaults to 1024).
        if (cap is not { } left || options?.MaxOutputTokens is not { } asked || asked <= left)
        {
            return options;
        }

        var capped = options.Clone();
        capped.MaxOutputTokens = (int)Math.Min(int.MaxValue, left);
        return capped;
    }

    /// <summary>
    /// More tokens than any one call can use. A count reported above it (or below 0) is an upstream's mistake and
    /// counts as 0 (unknown), so that usage can never make the budget negative or overflow it.
    /// </summary>
    public const long MaxTokensPerCall = TokenCounts.MaxPerCall;

    /// <summary>A reported token count as the budget takes it: 0 when unknown, negative or implausibly large.</summary>
    public static long Plausible(long? count) => count is >= 0 and <= MaxTokensPerCall ? count.Value : 0;

    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var budget = QuestionScope.Current?.Budget;
        if (budget is null)
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        options = Capped(options, budget.ReserveCall(modelName));
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            budget.Record(modelName, 0, 0, completed: false);
            throw;
        }

        var metered = budget.Record(modelName, Plausible(response.Usage?.InputTokenCount), Plausible(response.Usage?.OutputTokenCount));
        CallMeter.Current?.Metered = metered;
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var budget = QuestionScope.Current?.Budget;
        if (budget is not null)
        {
            options = Capped(options, budget.ReserveCall(modelName));
        }

        long input = 0, output = 0;
        var completed = false;
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                foreach (var usage in update.Contents.OfType<UsageContent>())
                {
                    input = Math.Min(input + Plausible(usage.Details.InputTokenCount), MaxTokensPerCall);
                    output = Math.Min(output + Plausible(usage.Details.OutputTokenCount), MaxTokensPerCall);
                }

                yield return update;
            }

            completed = true;
        }
        finally
        {
            if (budget?.Record(modelName, input, output, completed) is { } metered && completed)
            {
                CallMeter.Current?.Metered = metered;
            }
        }
    }
}

/// <summary><see cref="ChatClientBuilder"/> extensions for the runtime's own middleware.</summary>
public static class RuntimeChatClientBuilderExtensions
{
    /// <summary>Meters usage and enforces the current question's budget (see <see cref="UsageBudgetChatClient"/>).</summary>
    public static ChatClientBuilder UseUsageBudget(this ChatClientBuilder builder, string modelName) =>
        builder.Use(inner => new UsageBudgetChatClient(inner, modelName));
}
