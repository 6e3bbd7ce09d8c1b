using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Compose.Models;

/// <summary>
/// What a streamed call really generated, filled by its provider when the stream ends (see
/// <see cref="TokenLogProbabilities.ReceiptKey"/>): a stream stopped part way may have generated tokens its reader never saw.
/// Written once by the provider, read by the usage middleware after the stream is disposed.
/// </summary>
public sealed class StreamReceipt
{
    private long _input = -1;
    private long _output = -1;

    /// <summary>The prompt's tokens, or null when not reported.</summary>
    public long? InputTokens => Interlocked.Read(ref _input) is var v and >= 0 ? v : null;

    /// <summary>The tokens generated, or null when not reported.</summary>
    public long? OutputTokens => Interlocked.Read(ref _output) is var v and >= 0 ? v : null;

    /// <summary>Records what the call generated.</summary>
    public void Fill(long inputTokens, long outputTokens)
    {
        Interlocked.Exchange(ref _input, Math.Max(0, inputTokens));
        Interlocked.Exchange(ref _output, Math.Max(0, outputTokens));
    }

    /// <summary>The receipt in <paramref name="options"/>, if the caller asked for one.</summary>
    public static StreamReceipt? Of(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(TokenLogProbabilities.ReceiptKey, out var value) == true ? value as StreamReceipt : null;
}

/// <summary>One alternative a model weighed for a generated token: its text and log-probability.</summary>
public sealed record TokenAlternative(string Token, double LogProbability);

/// <summary>
/// One generated token: its text, its log-probability under the model's distribution, and (when asked for) the
/// <c>k</c> most likely tokens at that position, most likely first (the chosen token among them when it is one of them).
/// </summary>
public sealed record TokenLogProbability(string Token, double LogProbability, ImmutableArray<TokenAlternative> Top)
{
    /// <summary>A token without alternatives.</summary>
    public TokenLogProbability(string token, double logProbability)
        : this(token, logProbability, [])
    {
    }
}

/// <summary>
/// The convention by which a technique asks a model for each generated token's log-probability and its top-k
/// alternatives, and by which a model reports them, across providers (onnx, openai, scripted, replay):
/// <list type="bullet">
/// <item>Request: <see cref="ChatOptions.AdditionalProperties"/> has <see cref="RequestKey"/> = k (an int, 0..20):
/// report every token's log-probability and its k most likely alternatives (0: the chosen token's only).</item>
/// <item>Response: <see cref="ChatResponse.AdditionalProperties"/> has <see cref="TokensKey"/>, the reply's tokens in
/// order (<see cref="TokenLogProbability"/>). Streamed, each update carries the tokens of its text under the same key.</item>
/// <item>Streaming progress: each streamed update may carry <see cref="OutputTokensKey"/> (a long), the output tokens
/// generated so far, and <see cref="InputTokensKey"/>, the prompt's tokens; the usage middleware bills a call that is
/// cancelled part way from them (only what was generated).</item>
/// </list>
/// A provider that cannot report log-probabilities ignores the request; the compiler reports a technique that needs
/// them on such a model before any call (CMP507, via <see cref="ModelCapabilities.LogProbabilities"/>).
/// </summary>
public static class TokenLogProbabilities
{
    /// <summary>Options: the top alternatives asked for per token (an int; 0 for the chosen token only).</summary>
    public const string RequestKey = "compose.top_logprobs";

    /// <summary>Response or streamed update: the tokens with their log-probabilities (<see cref="IReadOnlyList{T}"/> of <see cref="TokenLogProbability"/>).</summary>
    public const string TokensKey = "compose.token_logprobs";

    /// <summary>Streamed update: the output tokens generated so far in the call (a long).</summary>
    public const string OutputTokensKey = "compose.output_tokens_so_far";

    /// <summary>Streamed update: the input (prompt) tokens of the call (a long).</summary>
    public const string InputTokensKey = "compose.input_tokens";

    /// <summary>
    /// Options of a streamed call: a <see cref="StreamReceipt"/> the usage middleware adds; a provider that knows what it
    /// generated fills it when its stream ends, also when the stream is stopped before all its updates were read.
    /// </summary>
    public const string ReceiptKey = "compose.stream_receipt";

    /// <summary>The most alternatives a request may ask for (OpenAI's limit).</summary>
    public const int MaxTop = 20;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Asks for log-probabilities with <paramref name="top"/> alternatives per token (returns the options for chaining).</summary>
    public static ChatOptions Request(ChatOptions options, int top)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AdditionalProperties ??= [];
        options.AdditionalProperties[RequestKey] = Math.Clamp(top, 0, MaxTop);
        return options;
    }

    /// <summary>The alternatives asked for per token, or null when the request does not ask for log-probabilities.</summary>
    public static int? Requested(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(RequestKey, out var value) == true
            ? value switch
            {
                int i => Math.Clamp(i, 0, MaxTop),
                long l => (int)Math.Clamp(l, 0, MaxTop),
                JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt32(out var n) => Math.Clamp(n, 0, MaxTop),
                _ => null,
            }
            : null;

    /// <summary>The tokens a response reports (also from a response cache, as JSON); empty when none.</summary>
    public static ImmutableArray<TokenLogProbability> Of(AdditionalPropertiesDictionary? properties)
    {
        if (properties?.TryGetValue(TokensKey, out var value) != true)
        {
            return [];
        }

        return value switch
        {
            ImmutableArray<TokenLogProbability> tokens => tokens.IsDefault ? [] : tokens,
            IEnumerable<TokenLogProbability> tokens => [.. tokens],
            JsonElement { ValueKind: JsonValueKind.Array } e => [.. e.Deserialize<TokenLogProbability[]>(Json) ?? []],
            _ => [],
        };
    }

    /// <summary>A long count in <paramref name="properties"/> under <paramref name="key"/>, or null.</summary>
    public static long? Count(AdditionalPropertiesDictionary? properties, string key) =>
        properties?.TryGetValue(key, out var value) == true
            ? value switch
            {
                int i => i,
                long l => l,
                JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out var n) => n,
                _ => null,
            }
            : null;

    /// <summary>
    /// The log-probabilities of the <paramref name="top"/> alternatives a simulated model reports for a token whose
    /// own log-probability is <paramref name="logProbability"/>: the token itself, then <c>top - 1</c> alternatives that
    /// share the remaining probability equally (each <c>log((1 - p) / (top - 1))</c>, at least -30).
    /// </summary>
    public static ImmutableArray<TokenAlternative> Simulated(string token, double logProbability, int top)
    {
        if (top <= 0)
        {
            return [];
        }

        var rest = top == 1 ? 0 : Math.Max(-30, Math.Log(Math.Max(0, 1 - Math.Exp(logProbability)) / (top - 1)));
        var builder = ImmutableArray.CreateBuilder<TokenAlternative>(top);
        builder.Add(new TokenAlternative(token, logProbability));
        for (var i = 1; i < top; i++)
        {
            builder.Add(new TokenAlternative($"<alt{i}>", rest));
        }

        return builder.MoveToImmutable();
    }
}
