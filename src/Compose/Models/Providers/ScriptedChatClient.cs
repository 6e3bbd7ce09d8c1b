using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Compose.Models.Providers;

/// <summary>One rule of a scripted model: when the prompt matches, reply with one of the replies.</summary>
public sealed record ScriptedRule(Regex When, ImmutableArray<string> Replies);

/// <summary>
/// A deterministic model for tests, examples and benchmarks: the first rule whose pattern matches
/// the last user message answers; with several replies, the call's seed picks one (same seed, same
/// reply). Tokens are counted as characters / 4. An optional fixed latency simulates a real model.
/// </summary>
public sealed partial class ScriptedChatClient(ImmutableArray<ScriptedRule> rules, string? fallback, TimeSpan latency, string modelId) : IChatClient
{
    public ImmutableArray<ScriptedRule> Rules { get; } = rules;

    public TimeSpan Latency { get; } = latency;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        var inputChars = 0;
        string prompt = "";
        foreach (var m in messages)
        {
            var text = m.Text;
            inputChars += text.Length;
            if (m.Role == ChatRole.User)
            {
                prompt = text;
            }
        }

        var reply = Answer(prompt, options?.Seed ?? 0);
        if (options?.MaxOutputTokens is { } max && reply.Length > max * 4)
        {
            reply = reply[..(max * 4)];
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, reply))
        {
            ModelId = modelId,
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails
            {
                InputTokenCount = Tokens(inputChars),
                OutputTokenCount = Tokens(reply.Length),
                TotalTokenCount = Tokens(inputChars) + Tokens(reply.Length),
            },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Word by word, as a real model streams tokens; the usage comes in the last update.
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var id = Guid.NewGuid().ToString("N");
        foreach (Match word in Words().Matches(response.Text))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word.Value) { ModelId = modelId, ResponseId = id, MessageId = id };
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(response.Usage!)])
        {
            ModelId = modelId,
            ResponseId = id,
            MessageId = id,
            FinishReason = response.FinishReason,
        };
    }

    /// <summary>The reply to <paramref name="prompt"/> for a call with <paramref name="seed"/>.</summary>
    public string Answer(string prompt, long seed)
    {
        foreach (var rule in Rules)
        {
            bool match;
            try
            {
                match = rule.When.IsMatch(prompt);
            }
            catch (RegexMatchTimeoutException)
            {
                match = false;
            }

            if (match)
            {
                return rule.Replies.Length == 1 ? rule.Replies[0] : rule.Replies[(int)((ulong)seed % (ulong)rule.Replies.Length)];
            }
        }

        return fallback ?? $"(scripted) {FirstLine(prompt)}";
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", null, modelId)
        : null;

    public void Dispose()
    {
    }

    /// <summary>A word with the spaces before it.</summary>
    [GeneratedRegex(@"\s*\S+|\s+$")]
    private static partial Regex Words();

    private static long Tokens(int chars) => Math.Max(1, (chars + 3) / 4);

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] : line;
    }
}
