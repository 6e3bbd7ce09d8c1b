using System.Runtime.CompilerServices;
using Compose.Language;
using Compose.Models.Middleware;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Models;

/// <summary>Usage a server reports wrongly (negative, absurd) can make the budget neither negative nor overflow.</summary>
public sealed class UsageBudgetClampTests
{
    [Fact]
    public async Task Implausible_usage_counts_as_zero_and_plausible_usage_counts()
    {
        var budget = new QuestionBudget(new BudgetSpec { MaxTokens = 1_000_000 });
        using var scope = QuestionScope.Enter(new QuestionScope(budget));
        using var client = new UsageBudgetChatClient(new UsageClient(), "m");

        await client.GetResponseAsync("negative");
        await client.GetResponseAsync("absurd");
        await foreach (var _ in client.GetStreamingResponseAsync("absurd stream"))
        {
        }

        Assert.Equal(0, budget.Spent.InputTokens);
        Assert.Equal(0, budget.Spent.OutputTokens);
        Assert.False(budget.Exhausted);

        await client.GetResponseAsync("plausible");

        Assert.Equal(11, budget.Spent.InputTokens);
        Assert.Equal(7, budget.Spent.OutputTokens);
        Assert.Equal(4, budget.Spent.Calls);
    }

    private sealed class UsageClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var usage = messages.Single().Text switch
            {
                "negative" => new UsageDetails { InputTokenCount = -5, OutputTokenCount = -7 },
                "absurd" => new UsageDetails { InputTokenCount = long.MaxValue, OutputTokenCount = UsageBudgetChatClient.MaxTokensPerCall + 1 },
                _ => new UsageDetails { InputTokenCount = 11, OutputTokenCount = 7 },
            };
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = usage });
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            for (var i = 0; i < 3; i++)
            {
                yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = long.MaxValue / 2, OutputTokenCount = -1 })]);
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
