using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Compose.Runtime;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Compose.Models.Providers;

/// <summary>
/// The openai provider's side of <see cref="TokenLogProbabilities"/>: a request that asks for log-probabilities gets
/// <c>logprobs: true</c> and <c>top_logprobs: k</c> (when k &gt; 0); the reply's <c>choices[0].logprobs.content</c> (each
/// streamed chunk's, as it arrives) becomes <see cref="TokenLogProbabilities.TokensKey"/>, with their sum under
/// <see cref="ComposeKeys.LogProbSum"/> on a whole reply; a streamed chunk also says how many tokens have arrived so far
/// (<see cref="TokenLogProbabilities.OutputTokensKey"/>), so that a call stopped part way is billed for them.
/// A server that sends no log-probabilities leaves them out.
/// </summary>
internal sealed class OpenAILogProbabilities(IChatClient inner) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, Ask(options), cancellationToken).ConfigureAwait(false);
        if (TokenLogProbabilities.Requested(options) is not null && response.RawRepresentation is ChatCompletion completion
            && Read(completion.ContentTokenLogProbabilities) is { IsEmpty: false } tokens)
        {
            response.AdditionalProperties ??= [];
            response.AdditionalProperties[TokenLogProbabilities.TokensKey] = tokens;
            response.AdditionalProperties[ComposeKeys.LogProbSum] = tokens.Sum(t => t.LogProbability);
        }

        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var asked = TokenLogProbabilities.Requested(options) is not null;
        long arrived = 0;
        await foreach (var update in base.GetStreamingResponseAsync(messages, Ask(options), cancellationToken).ConfigureAwait(false))
        {
            if (asked && update.RawRepresentation is StreamingChatCompletionUpdate raw && Read(raw.ContentTokenLogProbabilities) is { IsEmpty: false } tokens)
            {
                arrived += tokens.Length;
                update.AdditionalProperties ??= [];
                update.AdditionalProperties[TokenLogProbabilities.TokensKey] = tokens;
                update.AdditionalProperties[TokenLogProbabilities.OutputTokensKey] = arrived;
            }

            yield return update;
        }
    }

    /// <summary>The options with the OpenAI request fields for the log-probabilities asked for (a copy), or as given.</summary>
    internal static ChatOptions? Ask(ChatOptions? options)
    {
        if (TokenLogProbabilities.Requested(options) is not { } top)
        {
            return options;
        }

        var asked = options!.Clone();
        var previous = asked.RawRepresentationFactory;
        asked.RawRepresentationFactory = client =>
        {
            var raw = previous?.Invoke(client) as ChatCompletionOptions ?? new ChatCompletionOptions();
            raw.IncludeLogProbabilities = true;
            if (top > 0)
            {
                raw.TopLogProbabilityCount = top;
            }

            return raw;
        };
        return asked;
    }

    /// <summary>OpenAI's token log-probabilities as <see cref="TokenLogProbability"/>; empty when there are none.</summary>
    internal static ImmutableArray<TokenLogProbability> Read(IReadOnlyList<ChatTokenLogProbabilityDetails>? details) =>
        details is null or { Count: 0 }
            ? []
            : [.. details.Select(d => new TokenLogProbability(
                d.Token ?? "",
                d.LogProbability,
                d.TopLogProbabilities is { Count: > 0 } top ? [.. top.Select(a => new TokenAlternative(a.Token ?? "", a.LogProbability))] : []))];
}
