using Microsoft.Extensions.AI;

namespace Compose.Runtime;

/// <summary>
/// What a pipeline answers: the last user message as <see cref="Text"/>, and the conversation before
/// it (system messages, earlier turns) as <see cref="History"/>, which generating calls receive.
/// </summary>
public sealed record Question(string Id, string Text, IReadOnlyList<ChatMessage> History)
{
    public static Question FromText(string text, string? id = null) => new(id ?? "q0", text, []);

    /// <summary>Splits a conversation: the last user message is the question.</summary>
    public static Question FromMessages(IEnumerable<ChatMessage> messages, string? id = null)
    {
        var list = messages.ToList();
        var last = list.FindLastIndex(m => m.Role == ChatRole.User);
        if (last < 0)
        {
            return new Question(id ?? "q0", "", list);
        }

        return new Question(id ?? "q0", list[last].Text, [.. list.Take(last)]);
    }
}
