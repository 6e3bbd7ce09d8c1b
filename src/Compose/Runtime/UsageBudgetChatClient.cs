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

        // A stream that ends normally is billed by its usage; one that fails is not billed (as a failed call); one the
        // caller cancels or stops reading is billed for what it produced: the progress the provider reported
        // (TokenLogProbabilities.OutputTokensKey / InputTokensKey), else its text at 4 characters a token.
        var meter = new StreamMeter();
        if (budget is not null)
        {
            options = options?.Clone() ?? new ChatOptions();
            options.AdditionalProperties = options.AdditionalProperties is { } extras ? new AdditionalPropertiesDictionary(extras) : [];
            options.AdditionalProperties[TokenLogProbabilities.ReceiptKey] = meter.Receipt;
        }

        var ended = StreamEnd.Abandoned;
        var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await updates.MoveNextAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    ended = StreamEnd.Abandoned;
                    throw;
                }
                catch
                {
                    ended = StreamEnd.Failed;
                    throw;
                }

                if (!more)
                {
                    break;
                }

                meter.Add(updates.Current);
                yield return updates.Current;
            }

            ended = StreamEnd.Completed;
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
            if (budget is not null)
            {
                var metered = ended switch
                {
                    StreamEnd.Completed => budget.Record(modelName, meter.Input, meter.Output),
                    StreamEnd.Failed => budget.Record(modelName, 0, 0, completed: false),
                    _ => budget.Record(modelName, meter.PartialInput, meter.PartialOutput),
                };
                if (ended != StreamEnd.Failed)
                {
                    CallMeter.Current?.Metered = metered;
                }
            }
        }
    }

    private enum StreamEnd
    {
        Abandoned,
        Completed,
        Failed,
    }

    /// <summary>What one stream has reported so far: its receipt, its usage contents, its progress, the characters of its text.</summary>
    private sealed class StreamMeter
    {
        /// <summary>What the provider says it generated, when it fills the receipt (the most exact count of a stopped stream).</summary>
        public StreamReceipt Receipt { get; } = new();

        private long _progressInput;
        private long _progressOutput;
        private long _chars;

        public long Input { get; private set; }

        public long Output { get; private set; }

        /// <summary>The input tokens of a call stopped part way: reported usage, else the reported prompt tokens.</summary>
        public long PartialInput => Receipt.InputTokens is { } r ? Plausible(r) : Input > 0 ? Input : _progressInput;

        /// <summary>The output tokens of a call stopped part way: reported usage or progress, else its text at 4 characters a token.</summary>
        public long PartialOutput =>
            Receipt.OutputTokens is { } r ? Plausible(r)
            : Output > 0 ? Output
            : _progressOutput > 0 ? _progressOutput
            : _chars > 0 ? Math.Min(Compose.Models.Providers.SimulatedChatClient.Tokens((int)Math.Min(_chars, int.MaxValue)), MaxTokensPerCall)
            : 0;

        public void Add(ChatResponseUpdate update)
        {
            foreach (var usage in update.Contents.OfType<UsageContent>())
            {
                Input = Math.Min(Input + Plausible(usage.Details.InputTokenCount), MaxTokensPerCall);
                Output = Math.Min(Output + Plausible(usage.Details.OutputTokenCount), MaxTokensPerCall);
            }

            if (TokenLogProbabilities.Count(update.AdditionalProperties, TokenLogProbabilities.OutputTokensKey) is { } produced)
            {
                _progressOutput = Math.Max(_progressOutput, Plausible(produced));
            }

            if (TokenLogProbabilities.Count(update.AdditionalProperties, TokenLogProbabilities.InputTokensKey) is { } prompt)
            {
                _progressInput = Math.Max(_progressInput, Plausible(prompt));
            }

            _chars += update.Text.Length;
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
