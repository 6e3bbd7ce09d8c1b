using System.Runtime.CompilerServices;
using Compose.Models;
using Microsoft.Extensions.AI;

namespace Compose.Evaluation.Replay;

/// <summary>
/// A model that answers from recorded generations. The question is found in the last user message: the
/// whole message, else the text after its last <c>Question:</c> (how later-layer prompts end). With
/// <c>n</c> recorded samples, a call with seed <c>s</c> gets sample <c>s mod n</c> (as an unsigned
/// number), so the same call always gets the same sample and a question's different samples (which
/// carry different seeds) spread over the recordings. A prompt with no recording is a model error
/// (or, with <c>on_missing: empty</c>, an empty reply). Tokens are counted as characters / 4.
/// </summary>
public sealed class ReplayChatClient(ReplayRecordings recordings, bool failOnMissing, TimeSpan latency, string modelId) : IChatClient
{
    public ReplayRecordings Recordings { get; } = recordings;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var prompt = list.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var reply = Answer(prompt, options?.Seed ?? 0);
        if (reply is null)
        {
            if (failOnMissing)
            {
                throw new ModelCallException(modelId, null, 1, $"replay model '{modelId}' has no recording for the prompt \"{Shorten(prompt)}\"");
            }

            reply = "";
        }

        var input = list.Sum(m => m.Text.Length);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, reply))
        {
            ModelId = modelId,
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = Tokens(input), OutputTokenCount = Tokens(reply.Length), TotalTokenCount = Tokens(input) + Tokens(reply.Length) },
        };
    }

    /// <summary>The recorded reply to <paramref name="prompt"/> for a call with <paramref name="seed"/>, or null.</summary>
    public string? Answer(string prompt, long seed)
    {
        var samples = Recordings.Find(prompt);
        if (samples.IsEmpty)
        {
            var at = prompt.LastIndexOf("Question:", StringComparison.Ordinal);
            if (at >= 0)
            {
                samples = Recordings.Find(prompt[(at + "Question:".Length)..]);
            }
        }

        return samples.IsEmpty ? null : samples[(int)((ulong)seed % (ulong)samples.Length)];
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("replay", null, modelId)
        : null;

    public void Dispose()
    {
    }

    private static long Tokens(int chars) => Math.Max(1, (chars + 3) / 4);

    private static string Shorten(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 80 ? line[..80] + "..." : line;
    }
}
