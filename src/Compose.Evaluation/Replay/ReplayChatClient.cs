using Compose.Models;
using Compose.Models.Providers;

namespace Compose.Evaluation.Replay;

/// <summary>
/// A model that answers from recorded generations. The question is found in the last user message: the
/// whole message, else the text after its last <c>Question:</c> (how later-layer prompts end). With
/// <c>n</c> recorded samples, a call with seed <c>s</c> gets sample <c>s mod n</c> (as an unsigned
/// number), so the same call always gets the same sample and a question's different samples (which
/// carry different seeds) spread over the recordings. A prompt with no recording is a model error
/// (or, with <c>on_missing: empty</c>, an empty reply). Latency, seed choice, max tokens, token counting
/// and usage are <see cref="SimulatedChatClient"/>'s.
/// </summary>
public sealed class ReplayChatClient(ReplayRecordings recordings, bool failOnMissing, TimeSpan latency, string modelId)
    : SimulatedChatClient(latency, "replay", modelId)
{
    public ReplayRecordings Recordings { get; } = recordings;

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

        return samples.IsEmpty ? null : Pick(samples, seed);
    }

    protected override string Reply(string prompt, long seed) =>
        Answer(prompt, seed)
        ?? (failOnMissing
            ? throw new ModelCallException(ModelId, null, 1, $"replay model '{ModelId}' has no recording for the prompt \"{Shorten(prompt)}\"")
            : "");

    private static string Shorten(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 80 ? line[..80] + "..." : line;
    }
}
