using System.Collections.Immutable;
using System.Text;
using Microsoft.Extensions.AI;

namespace Compose.Onnx.Chat;

/// <summary>
/// How a model family lays out a conversation as prompt text, and the markers that end its turn.
/// </summary>
public sealed record ChatFormat(string Name, ImmutableArray<string> StopMarkers)
{
    public static ChatFormat ChatMl { get; } = new("chatml", ["<|im_end|>", "<|endoftext|>"]);
    public static ChatFormat Llama3 { get; } = new("llama3", ["<|eot_id|>", "<|end_of_text|>", "<|eom_id|>"]);
    public static ChatFormat Phi3 { get; } = new("phi3", ["<|end|>", "<|endoftext|>"]);
    public static ChatFormat Mistral { get; } = new("mistral", ["</s>"]);

    /// <summary>No template: "role: text" lines, for base models such as GPT-2.</summary>
    public static ChatFormat Plain { get; } = new("plain", []);

    public static ImmutableArray<ChatFormat> All { get; } = [ChatMl, Llama3, Phi3, Mistral, Plain];

    public static ChatFormat? Find(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? name.ToLowerInvariant() switch
        {
            "qwen" or "qwen2" or "qwen3" => ChatMl,
            "llama-3" or "llama_3" => Llama3,
            "phi-3" or "phi" => Phi3,
            _ => null,
        };

    /// <summary>
    /// Renders <paramref name="conversation"/> (the messages before the partial answer), opens the assistant's turn
    /// exactly as <see cref="Render"/> does, then writes <paramref name="partialAnswer"/> verbatim: not trimmed and
    /// not closed, so the model goes on writing the same answer.
    /// </summary>
    public string RenderContinuation(IEnumerable<ChatMessage> conversation, string partialAnswer)
    {
        ArgumentNullException.ThrowIfNull(partialAnswer);
        return Render(conversation) + partialAnswer;
    }

    /// <summary>Renders the conversation and opens the assistant's turn.</summary>
    public string Render(IEnumerable<ChatMessage> messages)
    {
        var sb = new StringBuilder();
        var list = messages.ToList();
        switch (Name)
        {
            case "chatml":
                foreach (var m in list)
                {
                    sb.Append("<|im_start|>").Append(m.Role.Value).Append('\n').Append(m.Text).Append("<|im_end|>\n");
                }

                sb.Append("<|im_start|>assistant\n");
                break;
            case "llama3":
                sb.Append("<|begin_of_text|>");
                foreach (var m in list)
                {
                    sb.Append("<|start_header_id|>").Append(m.Role.Value).Append("<|end_header_id|>\n\n").Append(m.Text.Trim()).Append("<|eot_id|>");
                }

                sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                break;
            case "phi3":
                foreach (var m in list)
                {
                    sb.Append("<|").Append(m.Role.Value).Append("|>\n").Append(m.Text).Append("<|end|>\n");
                }

                sb.Append("<|assistant|>\n");
                break;
            case "mistral":
                RenderMistral(sb, list);
                break;
            default:
                foreach (var m in list)
                {
                    sb.Append(m.Role.Value).Append(": ").Append(m.Text).Append('\n');
                }

                sb.Append("assistant:");
                break;
        }

        return sb.ToString();
    }

    private static void RenderMistral(StringBuilder sb, List<ChatMessage> list)
    {
        sb.Append("<s>");
        var system = string.Join("\n\n", list.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        var first = true;
        foreach (var m in list.Where(m => m.Role != ChatRole.System))
        {
            if (m.Role == ChatRole.Assistant)
            {
                sb.Append(' ').Append(m.Text).Append("</s>");
                continue;
            }

            sb.Append("[INST] ");
            if (first && system.Length > 0)
            {
                sb.Append(system).Append("\n\n");
            }

            sb.Append(m.Text).Append(" [/INST]");
            first = false;
        }
    }
}
