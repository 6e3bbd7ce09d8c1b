using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Compose.Models.Providers;

/// <summary>
/// What the models that answer without a network share (the scripted model, the replay model): an optional
/// fixed latency; the prompt is the last user message; a call with seed <c>s</c> picks choice
/// <c>s mod n</c> (as an unsigned number) of <c>n</c>; tokens are counted as characters / 4 (rounded up,
/// at least 1); a reply longer than <see cref="ChatOptions.MaxOutputTokens"/> tokens is cut to
/// <c>4 × MaxOutputTokens</c> characters and finishes with <see cref="ChatFinishReason.Length"/>, and the
/// usage counts the reply as returned; streaming sends the reply word by word and the usage last. Stop sequences cut
/// the reply before the first one found (which is excluded, as OpenAI-compatible servers do); when the request had stop
/// sequences or continues an answer, the reply says what ended it (<see cref="ChatContinuation.StoppedByKey"/>: the
/// stop sequence, or <c>""</c> when the whole reply was given).
/// A continuation request (<see cref="ChatContinuation"/>) is refused unless the model overrides <see cref="Reply(string, string?, long)"/>.
/// </summary>
public abstract partial class SimulatedChatClient(TimeSpan latency, string providerName, string modelId) : IChatClient
{
    /// <summary>A simulated delay before each streamed word (and, unstreamed, that delay times the words); zero by default.</summary>
    public TimeSpan TokenLatency { get; init; }

    /// <summary>Characters per token in the simulated token count.</summary>
    public const int CharsPerToken = 4;

    public TimeSpan Latency { get; } = latency;

    /// <summary>The model's name in the pipeline, reported as the response's model id.</summary>
    public string ModelId { get; } = modelId;

    /// <summary>The simulated token count of <paramref name="chars"/> characters.</summary>
    public static long Tokens(int chars) => Math.Max(1, (chars + CharsPerToken - 1) / CharsPerToken);

    /// <summary>Choice <c>seed mod n</c> of <paramref name="choices"/> (the seed read as an unsigned number).</summary>
    public static T Pick<T>(ImmutableArray<T> choices, long seed) =>
        choices.IsDefaultOrEmpty
            ? throw new ArgumentException("There is nothing to pick from.", nameof(choices))
            : choices[(int)((ulong)seed % (ulong)choices.Length)];

    /// <summary>
    /// <paramref name="reply"/> as a call limited to <paramref name="maxOutputTokens"/> returns it: cut to
    /// <c>4 × maxOutputTokens</c> characters when longer (then <paramref name="cut"/> is true).
    /// </summary>
    public static string Limit(string reply, int? maxOutputTokens, out bool cut)
    {
        var room = maxOutputTokens is { } max ? Math.Max(0L, (long)max * CharsPerToken) : long.MaxValue;
        cut = reply.Length > room;
        return cut ? reply[..(int)room] : reply;
    }

    /// <summary>
    /// <paramref name="reply"/> cut before the earliest of <paramref name="stopSequences"/> it contains (the earliest-listed
    /// one when two start at the same place), and what ended it: that stop sequence, or <c>""</c> when none occurs.
    /// </summary>
    public static (string Text, string StoppedBy) Stop(string reply, IList<string>? stopSequences)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (stopSequences is not { Count: > 0 })
        {
            return (reply, "");
        }

        var (at, by) = (-1, "");
        foreach (var stop in stopSequences)
        {
            var found = string.IsNullOrEmpty(stop) ? -1 : reply.IndexOf(stop, StringComparison.Ordinal);
            if (found >= 0 && (at < 0 || found < at))
            {
                (at, by) = (found, stop);
            }
        }

        return at < 0 ? (reply, "") : (reply[..at], by);
    }

    /// <summary>The usage of a call whose messages hold <paramref name="inputChars"/> characters and whose reply holds <paramref name="outputChars"/>.</summary>
    public static UsageDetails Usage(int inputChars, int outputChars)
    {
        var input = Tokens(inputChars);
        var output = Tokens(outputChars);
        return new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output };
    }

    /// <summary>The reply to <paramref name="prompt"/> (the last user message) for a call with <paramref name="seed"/>; may throw <see cref="ModelCallException"/>.</summary>
    protected abstract string Reply(string prompt, long seed);

    /// <summary>
    /// The reply to <paramref name="prompt"/> continuing <paramref name="partial"/> (null for an ordinary request): the
    /// new text only. By default a continuation is refused with a <see cref="ModelCallException"/>.
    /// </summary>
    protected virtual string Reply(string prompt, string? partial, long seed) =>
        partial is null ? Reply(prompt, seed) : throw ChatContinuation.NotSupported(ModelId, providerName, $"provider {providerName} answers whole prompts only");

    /// <summary>
    /// The log-probabilities of the words of the reply to <paramref name="prompt"/> (continuing <paramref name="partial"/>)
    /// for a call with <paramref name="seed"/>: one per word, the last repeated for the words after it; empty when the
    /// model reports none. Asked only when the request asks for log-probabilities (<see cref="TokenLogProbabilities"/>).
    /// </summary>
    protected virtual ImmutableArray<double> WordLogProbabilities(string prompt, string? partial, long seed) => [];

    /// <summary>
    /// <paramref name="text"/>'s words (a word with the spaces before it is a token of a simulated model) with
    /// log-probabilities from <paramref name="perWord"/> (the last repeated) and <paramref name="top"/> alternatives each
    /// (<see cref="TokenLogProbabilities.Simulated"/>).
    /// </summary>
    public static ImmutableArray<TokenLogProbability> WordTokens(string text, ImmutableArray<double> perWord, int top)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (perWord.IsDefaultOrEmpty)
        {
            return [];
        }

        var words = Words().Matches(text);
        var tokens = ImmutableArray.CreateBuilder<TokenLogProbability>(words.Count);
        for (var i = 0; i < words.Count; i++)
        {
            var lp = perWord[Math.Min(i, perWord.Length - 1)];
            tokens.Add(new TokenLogProbability(words[i].Value, lp, TokenLogProbabilities.Simulated(words[i].Value, lp, top)));
        }

        return tokens.MoveToImmutable();
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = Respond(messages, options, cancellationToken, out var words);
        var wait = Latency + (TokenLatency * words);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    private ChatResponse Respond(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken, out int words)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var inputChars = 0;
        var prompt = "";
        foreach (var m in messages)
        {
            var text = m.Text;
            inputChars += text.Length;
            if (m.Role == ChatRole.User)
            {
                prompt = text;
            }
        }

        var partial = ChatContinuation.PartialAnswer(messages, options);
        var (full, stoppedBy) = Stop(Reply(prompt, partial, options?.Seed ?? 0), options?.StopSequences);
        var reply = Limit(full, options?.MaxOutputTokens, out var cut);
        words = TokenLatency > TimeSpan.Zero ? Words().Count(reply) : 0; // the words only pace a token latency

        // Why it stopped matters to a caller that gave stop sequences or continues an answer (a step-level search).
        var extras = cut || (partial is null && options?.StopSequences is not { Count: > 0 }) ? null : new AdditionalPropertiesDictionary { [ChatContinuation.StoppedByKey] = stoppedBy };
        if (TokenLogProbabilities.Requested(options) is { } top
            && WordTokens(reply, WordLogProbabilities(prompt, partial, options?.Seed ?? 0), top) is { IsEmpty: false } tokens)
        {
            extras ??= [];
            extras[TokenLogProbabilities.TokensKey] = tokens;
            extras[Compose.Runtime.ComposeKeys.LogProbSum] = tokens.Sum(t => t.LogProbability);
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, reply))
        {
            ModelId = ModelId,
            FinishReason = cut ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Usage = Usage(inputChars, reply.Length),
            AdditionalProperties = extras,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Word by word, as a real model streams tokens, each with its log-probability when asked and the progress so far
        // (output tokens by the character count, the prompt's tokens); the usage comes in the last update.
        var response = Respond(messages, options, cancellationToken, out _);
        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency, cancellationToken).ConfigureAwait(false);
        }

        var id = Guid.NewGuid().ToString("N");
        var tokens = TokenLogProbabilities.Of(response.AdditionalProperties);
        var input = response.Usage?.InputTokenCount ?? 0;
        var (index, chars) = (0, 0);
        foreach (Match word in Words().Matches(response.Text))
        {
            if (TokenLatency > TimeSpan.Zero)
            {
                await Task.Delay(TokenLatency, cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            chars += word.Value.Length;
            var extras = new AdditionalPropertiesDictionary
            {
                [TokenLogProbabilities.OutputTokensKey] = Tokens(chars),
                [TokenLogProbabilities.InputTokensKey] = input,
            };
            if (index < tokens.Length)
            {
                extras[TokenLogProbabilities.TokensKey] = ImmutableArray.Create(tokens[index]);
            }

            index++;
            yield return new ChatResponseUpdate(ChatRole.Assistant, word.Value) { ModelId = ModelId, ResponseId = id, MessageId = id, AdditionalProperties = extras };
        }

        var last = response.AdditionalProperties is { } all ? new AdditionalPropertiesDictionary(all.Where(kv => kv.Key != TokenLogProbabilities.TokensKey)) : null;
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(response.Usage!)])
        {
            ModelId = ModelId,
            ResponseId = id,
            MessageId = id,
            FinishReason = response.FinishReason,
            AdditionalProperties = last is { Count: > 0 } ? last : null,
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata(providerName, null, ModelId)
        : null;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>A word with the spaces before it.</summary>
    [GeneratedRegex(@"\s*\S+|\s+$")]
    private static partial Regex Words();
}
