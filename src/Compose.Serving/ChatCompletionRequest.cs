using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Compose.Serving;

/// <summary>
/// The parts of an OpenAI chat completions request a pipeline uses: the model (a pipeline name), the
/// messages, <c>stream</c>, <c>seed</c> (the run seed) and <c>max_calls</c> (a Compose extension: the
/// question's call budget). Sampling options (temperature, max_tokens, ...) are the pipeline's own: they are
/// checked as OpenAI checks them (type and range, a 400 naming the field otherwise) and then ignored.
/// Unknown fields are accepted and ignored, as OpenAI does.
/// </summary>
public sealed record ChatCompletionRequest(string Model, ImmutableArray<ChatMessage> Messages, bool Stream, long? Seed, int? MaxCalls)
{
    /// <summary>The largest <c>max_tokens</c> / <c>max_completion_tokens</c> accepted (the pipeline's own per-call limits apply regardless).</summary>
    public const long MaxTokensLimit = 1_048_576;

    /// <summary>Reads a request body; a problem comes back as a 400 error naming the offending field.</summary>
    public static (ChatCompletionRequest? Request, OpenAIError? Error) Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, OpenAIError.BadRequest($"the request body must be a JSON object, not {Kind(body)}", code: "invalid_type"));
        }

        if (!body.TryGetProperty("model", out var model) || model.ValueKind == JsonValueKind.Null)
        {
            return (null, OpenAIError.BadRequest("you must provide a model parameter: the name of a served pipeline (see GET /v1/models)", "model", "missing_required_parameter"));
        }

        if (Text(model, "model", out var modelName) is { } modelError)
        {
            return (null, modelError);
        }

        if (modelName.Length == 0)
        {
            return (null, OpenAIError.BadRequest("'model' must not be empty: name a served pipeline (see GET /v1/models)", "model", "invalid_value"));
        }

        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind == JsonValueKind.Null)
        {
            return (null, OpenAIError.BadRequest("'messages' is required: a non-empty array of {\"role\", \"content\"} objects", "messages", "missing_required_parameter"));
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            return (null, TypeError("messages", "an array", messages));
        }

        if (messages.GetArrayLength() == 0)
        {
            return (null, OpenAIError.BadRequest("'messages' must be a non-empty array", "messages", "empty_array"));
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
            return (null, OpenAIError.BadRequest("'messages' must contain a user message", "messages", "invalid_value"));
        }

        if (CheckOptions(body) is { } optionError)
        {
            return (null, optionError);
        }

        var stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        long? seed = body.TryGetProperty("seed", out var sd) && sd.ValueKind == JsonValueKind.Number ? sd.GetInt64() : null;
        int? maxCalls = body.TryGetProperty("max_calls", out var mc) && mc.ValueKind == JsonValueKind.Number ? mc.GetInt32() : null;
        return (new ChatCompletionRequest(modelName, list.ToImmutable(), stream, seed, maxCalls), null);
    }

    /// <summary>The optional fields: each, when present and not null, has OpenAI's type and range.</summary>
    private static OpenAIError? CheckOptions(JsonElement body)
    {
        OpenAIError? Field(string name, Func<JsonElement, OpenAIError?> check) =>
            body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? check(value) : null;

        return Field("stream", v => Boolean("stream", v))
            ?? Field("stream_options", v => v.ValueKind == JsonValueKind.Object
                ? (v.TryGetProperty("include_usage", out var u) && u.ValueKind != JsonValueKind.Null ? Boolean("stream_options.include_usage", u) : null)
                : TypeError("stream_options", "an object", v))
            ?? Field("seed", v => Integer("seed", v, long.MinValue, long.MaxValue))
            ?? Field("max_calls", v => Integer("max_calls", v, 1, int.MaxValue))
            ?? Field("max_tokens", v => Integer("max_tokens", v, 1, MaxTokensLimit))
            ?? Field("max_completion_tokens", v => Integer("max_completion_tokens", v, 1, MaxTokensLimit))
            ?? Field("n", v => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n == 1 ? null
                : Integer("n", v, 1, 1) is { Code: "invalid_type" } typeError ? typeError
                : OpenAIError.BadRequest($"'n' must be 1, not {Clip(v.GetRawText())}: Compose returns one answer per request (the pipeline samples and selects within it); send several requests for several answers", "n", "unsupported_value"))
            ?? Field("temperature", v => Number("temperature", v, 0, 2))
            ?? Field("top_p", v => Number("top_p", v, 0, 1))
            ?? Field("presence_penalty", v => Number("presence_penalty", v, -2, 2))
            ?? Field("frequency_penalty", v => Number("frequency_penalty", v, -2, 2))
            ?? Field("logprobs", v => Boolean("logprobs", v))
            ?? Field("top_logprobs", v => Integer("top_logprobs", v, 0, 20))
            ?? Field("stop", Stop)
            ?? Field("user", v => Text(v, "user", out _))
            ?? Field("service_tier", v => Text(v, "service_tier", out _))
            ?? Field("reasoning_effort", v => Text(v, "reasoning_effort", out _))
            ?? Field("parallel_tool_calls", v => Boolean("parallel_tool_calls", v))
            ?? Field("store", v => Boolean("store", v))
            ?? Field("metadata", v => v.ValueKind == JsonValueKind.Object ? null : TypeError("metadata", "an object", v))
            ?? Field("response_format", v => v.ValueKind == JsonValueKind.Object ? null : TypeError("response_format", "an object", v))
            ?? Field("tools", v => v.ValueKind == JsonValueKind.Array ? null : TypeError("tools", "an array", v))
            ?? Field("tool_choice", v => v.ValueKind is JsonValueKind.String or JsonValueKind.Object ? null : TypeError("tool_choice", "a string or an object", v))
            ?? Field("logit_bias", LogitBias);
    }

    private static OpenAIError? Stop(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return Text(value, "stop", out _);
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            return TypeError("stop", "a string or an array of strings", value);
        }

        if (value.GetArrayLength() > 4)
        {
            return OpenAIError.BadRequest($"'stop' takes at most 4 sequences, not {value.GetArrayLength()}", "stop", "array_above_max_length");
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (Text(item, $"stop[{i++}]", out _) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static OpenAIError? LogitBias(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return TypeError("logit_bias", "an object of token ids to numbers", value);
        }

        foreach (var bias in value.EnumerateObject())
        {
            if (Number("logit_bias", bias.Value, -100, 100) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static (ChatMessage? Message, OpenAIError? Error) ReadMessage(JsonElement message, int index)
    {
        var param = $"messages[{index}]";
        if (message.ValueKind != JsonValueKind.Object)
        {
            return (null, TypeError(param, "an object with a 'role' and 'content'", message));
        }

        if (!message.TryGetProperty("role", out var roleElement) || roleElement.ValueKind == JsonValueKind.Null)
        {
            return (null, OpenAIError.BadRequest($"{param} must be an object with a 'role'", $"{param}.role", "missing_required_parameter"));
        }

        if (Text(roleElement, $"{param}.role", out var roleName) is { } roleError)
        {
            return (null, roleError);
        }

        ChatRole? role = roleName switch
        {
            "system" or "developer" => ChatRole.System,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            _ => null,
        };
        if (role is null)
        {
            return (null, OpenAIError.BadRequest($"{param}.role must be one of system, developer, user, assistant", $"{param}.role", "invalid_value"));
        }

        if (message.TryGetProperty("name", out var name) && name.ValueKind != JsonValueKind.Null && Text(name, $"{param}.name", out _) is { } nameError)
        {
            return (null, nameError);
        }

        if (!message.TryGetProperty("content", out var content))
        {
            return (null, OpenAIError.BadRequest($"{param}.content is required", $"{param}.content", "missing_required_parameter"));
        }

        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return Text(content, $"{param}.content", out var text) is { } error ? (null, error) : (new ChatMessage(role.Value, text), null);
            case JsonValueKind.Array:
                var parts = new List<string>();
                var i = 0;
                foreach (var part in content.EnumerateArray())
                {
                    var partParam = $"{param}.content[{i++}]";
                    if (part.ValueKind != JsonValueKind.Object
                        || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.ValueEquals("text") is false
                        || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                    {
                        return (null, OpenAIError.BadRequest($"{partParam}: only text parts ({{\"type\": \"text\", \"text\": \"...\"}}) are supported", partParam, "invalid_value"));
                    }

                    if (Text(partText, $"{partParam}.text", out var value) is { } partError)
                    {
                        return (null, partError);
                    }

                    parts.Add(value);
                }

                return (new ChatMessage(role.Value, string.Concat(parts)), null);
            case JsonValueKind.Null when role == ChatRole.Assistant:
                return (new ChatMessage(role.Value, ""), null);
            default:
                return (null, TypeError($"{param}.content", "a string or an array of text parts", content));
        }
    }

    /// <summary>A string field; text that is not valid Unicode (a lone surrogate escape) is a 400, not a crash.</summary>
    private static OpenAIError? Text(JsonElement value, string param, out string text)
    {
        text = "";
        if (value.ValueKind != JsonValueKind.String)
        {
            return TypeError(param, "a string", value);
        }

        try
        {
            text = value.GetString() ?? "";
            return null;
        }
        catch (InvalidOperationException)
        {
            return OpenAIError.BadRequest($"'{param}' is not valid Unicode text (it holds a lone surrogate or invalid UTF-8)", param, "invalid_value");
        }
    }

    private static OpenAIError? Boolean(string param, JsonElement value) =>
        value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : TypeError(param, "a boolean", value);

    private static OpenAIError? Integer(string param, JsonElement value, long min, long max)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            return TypeError(param, "an integer", value);
        }

        if (value.TryGetInt64(out var n))
        {
            return n < min || n > max ? RangeError(param, n.ToString(CultureInfo.InvariantCulture), min, max) : null;
        }

        // Not a 64-bit integer: a fraction (1.5), or a whole number too large to hold (1e12, 10^30).
        return value.TryGetDouble(out var d) && double.IsFinite(d) && Math.Floor(d) == d
            ? RangeError(param, value.GetRawText(), min, max)
            : OpenAIError.BadRequest($"Invalid type for '{param}': expected an integer, but got a decimal number ({Clip(value.GetRawText())}) instead.", param, "invalid_type");
    }

    private static OpenAIError? Number(string param, JsonElement value, double min, double max)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            return TypeError(param, "a number", value);
        }

        return value.TryGetDouble(out var d) && double.IsFinite(d) && d >= min && d <= max
            ? null
            : OpenAIError.BadRequest($"Invalid '{param}': expected a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, but got {Clip(value.GetRawText())} instead.", param, "invalid_value");
    }

    private static OpenAIError RangeError(string param, string got, long min, long max)
    {
        var range = max == long.MaxValue ? $"an integer >= {min}" : $"an integer from {min} to {max}";
        return OpenAIError.BadRequest($"Invalid '{param}': expected {range}, but got {Clip(got)} instead.", param, "invalid_value");
    }

    private static OpenAIError TypeError(string param, string expected, JsonElement got) =>
        OpenAIError.BadRequest($"Invalid type for '{param}': expected {expected}, but got {Kind(got)} instead.", param, "invalid_type");

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
