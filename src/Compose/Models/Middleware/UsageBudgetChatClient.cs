using System.Runtime.CompilerServices;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Models.Middleware;

/// <summary>
/// Meters every call against the budget of the current question (<see cref="QuestionScope"/>):
/// reserves the call before it is made (refusing with <see cref="BudgetExceededException"/> when the
/// budget is spent) and records its tokens and cost when it returns. Outside a question scope it
/// passes calls through.
/// </summary>
public sealed class UsageBudgetChatClient(IChatClient inner, string modelName) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var budget = QuestionScope.Current?.Budget;
        if (budget is null)
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        budget.ReserveCall(modelName);
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

        budget.Record(modelName, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var budget = QuestionScope.Current?.Budget;
        budget?.ReserveCall(modelName);
        long input = 0, output = 0;
        var completed = false;
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                foreach (var usage in update.Contents.OfType<UsageContent>())
                {
                    input += usage.Details.InputTokenCount ?? 0;
                    output += usage.Details.OutputTokenCount ?? 0;
                }

                yield return update;
            }

            completed = true;
        }
        finally
        {
            budget?.Record(modelName, input, output, completed);
        }
    }
}
