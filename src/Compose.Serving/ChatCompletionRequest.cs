using System.Collections.Immutable;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Compose.Serving;

/// <summary>
/// The parts of an OpenAI chat completions request a pipeline uses: the model (a pipeline name), the
/// messages, <c>stream</c>, <c>seed</c> (the run seed) and <c>max_calls</c> (a Compose extension: the
/// question's call budget). Sampling options (temperature, max_tokens, ...) are the pipeline's own and are ignored.
/// </summary>
public sealed record ChatCompletionRequest(string Model, ImmutableArray<ChatMessage> Messages, bool Stream, long? Seed, int? MaxCalls)
{
    /// <summary>Reads a request body; a problem comes back as a 400 error naming the offending field.</summary>
    public static (ChatCompletionRequest? Request, OpenAIError? Error) Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, OpenAIError.BadRequest("the request body must be a JSON object"));
        }

        if (!body.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || model.GetString() is not { Length: > 0 } modelName)
        {
            return (null, OpenAIError.BadRequest("'model' is required: the name of a served pipeline (see GET /v1/models)", "model"));
        }

        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return (null, OpenAIError.BadRequest("'messages' must be a non-empty array", "messages"));
        }

        var list = ImmutableArray.CreateBuilder<ChatMessage>();
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var (chat, error) = ReadMessage(message, index++);
            if (error is not null)
            {
                return (null, error);
            }

            list.Add(chat!);
        }

        if (!list.Any(m => m.Role == ChatRole.User))
        {
            return (null, OpenAIError.BadRequest("'messages' must contain a user message", "messages"));
        }

        var stream = false;
        if (body.TryGetProperty("stream", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return (null, OpenAIError.BadRequest("'stream' must be true or false", "stream"));
            }

            stream = s.GetBoolean();
        }

        long? seed = null;
        if (body.TryGetProperty("seed", out var sd) && sd.ValueKind != JsonValueKind.Null)
        {
            if (sd.ValueKind != JsonValueKind.Number || !sd.TryGetInt64(out var value))
            {
                return (null, OpenAIError.BadRequest("'seed' must be an integer", "seed"));
            }

            seed = value;
        }

        int? maxCalls = null;
        if (body.TryGetProperty("max_calls", out var mc) && mc.ValueKind != JsonValueKind.Null)
        {
            if (mc.ValueKind != JsonValueKind.Number || !mc.TryGetInt32(out var calls) || calls < 1)
            {
                return (null, OpenAIError.BadRequest("'max_calls' must be a positive integer", "max_calls"));
            }

            maxCalls = calls;
        }

        return (new ChatCompletionRequest(modelName, list.ToImmutable(), stream, seed, maxCalls), null);
    }

    private static (ChatMessage? Message, OpenAIError? Error) ReadMessage(JsonElement message, int index)
    {
        var param = $"messages[{index}]";
        if (message.ValueKind != JsonValueKind.Object
            || !message.TryGetProperty("role", out var roleElement) || roleElement.ValueKind != JsonValueKind.String)
        {
            return (null, OpenAIError.BadRequest($"{param} must be an object with a 'role'", param));
        }

        ChatRole? role = roleElement.GetString() switch
        {
            "system" or "developer" => ChatRole.System,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            _ => null,
        };
        if (role is null)
        {
            return (null, OpenAIError.BadRequest($"{param}.role must be one of system, developer, user, assistant", $"{param}.role"));
        }

        if (!message.TryGetProperty("content", out var content))
        {
            return (null, OpenAIError.BadRequest($"{param}.content is required", $"{param}.content"));
        }

        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return (new ChatMessage(role.Value, content.GetString()), null);
            case JsonValueKind.Array:
                var parts = new List<string>();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object
                        || !part.TryGetProperty("type", out var type) || type.GetString() != "text"
                        || !part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                    {
                        return (null, OpenAIError.BadRequest($"{param}.content: only text parts are supported", $"{param}.content"));
                    }

                    parts.Add(text.GetString()!);
                }

                return (new ChatMessage(role.Value, string.Concat(parts)), null);
            case JsonValueKind.Null when role == ChatRole.Assistant:
                return (new ChatMessage(role.Value, ""), null);
            default:
                return (null, OpenAIError.BadRequest($"{param}.content must be a string or an array of text parts", $"{param}.content"));
        }
    }
}
