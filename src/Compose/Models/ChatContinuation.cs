using Microsoft.Extensions.AI;

namespace Compose.Models;

/// <summary>
/// The convention by which a technique asks a model to continue a partial answer rather than start a new one,
/// and by which a model says why its reply ended. Step-level search (beam search, particle filtering) writes an
/// answer one step at a time through the ordinary <see cref="IChatClient"/> stack with it:
/// <list type="bullet">
/// <item>The request's last message is an <see cref="ChatRole.Assistant"/> message holding the partial answer, and
/// <see cref="ChatOptions.AdditionalProperties"/> has <see cref="ContinueKey"/> = <c>true</c>. The model renders the
/// conversation without closing that message and generates what follows it; the reply holds only the new text.</item>
/// <item>A reply may carry <see cref="StoppedByKey"/> in its additional properties: the stop sequence that ended it
/// (excluded from the text, as OpenAI-compatible servers do), or the empty string when the model ended its turn
/// (end of text). Absent when the token limit cut the reply or the provider cannot tell.</item>
/// </list>
/// A provider that cannot continue (it does not declare <see cref="ModelCapabilities.Continuation"/>) refuses such a
/// request with a <see cref="ModelCallException"/>; the compiler reports the mismatch before any call (CMP507).
/// </summary>
public static class ChatContinuation
{
    /// <summary>Options: <c>true</c> when the last (assistant) message is a partial answer to continue.</summary>
    public const string ContinueKey = "compose.continue_final_message";

    /// <summary>Response: the stop sequence that ended the reply, or <c>""</c> when the model ended its turn.</summary>
    public const string StoppedByKey = "compose.stopped_by";

    /// <summary>True when <paramref name="options"/> ask to continue the final message.</summary>
    public static bool IsRequested(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(ContinueKey, out var value) == true && value is true;

    /// <summary>
    /// The partial answer to continue: the text of the last message when <paramref name="options"/> ask for a
    /// continuation and that message is the assistant's; null otherwise (an ordinary request). Throws
    /// <see cref="ArgumentException"/> when a continuation is asked for but the last message is not the assistant's.
    /// </summary>
    public static string? PartialAnswer(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (!IsRequested(options))
        {
            return null;
        }

        ChatMessage? last = null;
        foreach (var m in messages)
        {
            last = m;
        }

        return last is not null && last.Role == ChatRole.Assistant
            ? last.Text
            : throw new ArgumentException("A continuation request must end with an assistant message holding the partial answer.", nameof(messages));
    }

    /// <summary>Marks <paramref name="options"/> as a continuation request (returns them for chaining).</summary>
    public static ChatOptions Continue(ChatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AdditionalProperties ??= [];
        options.AdditionalProperties[ContinueKey] = true;
        return options;
    }

    /// <summary>
    /// Why <paramref name="response"/> ended, when its provider said: the stop sequence, <c>""</c> for the end of the
    /// model's turn, or null when unknown (or cut by the token limit).
    /// </summary>
    public static string? StoppedBy(ChatResponse response) =>
        response?.AdditionalProperties?.TryGetValue(StoppedByKey, out var value) == true && value is string s ? s : null;

    /// <summary>The refusal of a provider that cannot continue a partial answer.</summary>
    public static ModelCallException NotSupported(string model, string provider, string hint) =>
        new(model, null, 1, $"model '{model}' (provider {provider}) cannot continue a partial answer: {hint}");
}
