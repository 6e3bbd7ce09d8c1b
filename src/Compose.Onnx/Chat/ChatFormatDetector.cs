using System.Text.Json;
using Compose.Onnx.Tokenization;

namespace Compose.Onnx.Chat;

/// <summary>Picks a chat format from tokenizer_config.json's chat_template, else from the model type and vocabulary.</summary>
public static class ChatFormatDetector
{
    public static (ChatFormat Format, string Source) Detect(string folder, string modelType, ModelTokenizer tokenizer)
    {
        var path = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(OnnxErrors.ReadFile(path));
                if (doc.RootElement.TryGetProperty("chat_template", out var t))
                {
                    var template = t.ValueKind == JsonValueKind.String ? t.GetString() ?? "" : t.GetRawText();
                    if (FromTemplate(template) is { } f)
                    {
                        return (f, "tokenizer_config.json chat_template");
                    }
                }
            }
            catch (JsonException)
            {
                // A broken tokenizer_config.json only loses the template; the type decides below.
            }
        }

        var byVocab = tokenizer.TryGetSpecialToken("<|im_start|>", out _) ? ChatFormat.ChatMl
            : tokenizer.TryGetSpecialToken("<|start_header_id|>", out _) ? ChatFormat.Llama3
            : null;
        if (byVocab is not null)
        {
            return (byVocab, "tokenizer special tokens");
        }

        var byType = modelType switch
        {
            "qwen2" or "qwen3" => ChatFormat.ChatMl,
            "phi3" or "phi3small" or "phimoe" => ChatFormat.Phi3,
            "mistral" => ChatFormat.Mistral,
            _ => null,
        };
        return byType is null ? (ChatFormat.Plain, "default") : (byType, $"model type {modelType}");
    }

    internal static ChatFormat? FromTemplate(string template) =>
        template.Contains("<|im_start|>", StringComparison.Ordinal) ? ChatFormat.ChatMl
        : template.Contains("<|start_header_id|>", StringComparison.Ordinal) ? ChatFormat.Llama3
        : template.Contains("<|user|>", StringComparison.Ordinal) && template.Contains("<|end|>", StringComparison.Ordinal) ? ChatFormat.Phi3
        : template.Contains("[INST]", StringComparison.Ordinal) ? ChatFormat.Mistral
        : null;
}
