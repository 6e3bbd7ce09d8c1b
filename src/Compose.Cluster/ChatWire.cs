using System.Text.Json;
using System.Text.Json.Nodes;
using Compose.Models;
using Microsoft.Extensions.AI;

namespace Compose.Cluster;

/// <summary>
/// Chat messages, options and responses as JSON for a call that crosses processes. Compose's own option values
/// survive the trip with their .NET types (a continuation's <c>true</c>, a log-probability request's number, an
/// output constraint); values that only mean something inside one process (a stream receipt) are left behind.
/// </summary>
public static class ChatWire
{
    private const string ConstraintTag = "compose_constraint";
    private static readonly JsonSerializerOptions Json = AIJsonUtilities.DefaultOptions;

    public static string Messages(IEnumerable<ChatMessage> messages) => JsonSerializer.Serialize(messages.ToList(), Json);

    public static List<ChatMessage> ReadMessages(string json) => JsonSerializer.Deserialize<List<ChatMessage>>(json, Json) ?? [];

    public static string? Options(ChatOptions? options)
    {
        if (options is null)
        {
            return null;
        }

        var copy = options.Clone();
        copy.Tools = null;
        copy.RawRepresentationFactory = null;
        if (options.AdditionalProperties is { Count: > 0 } properties)
        {
            copy.AdditionalProperties = [];
            foreach (var (key, value) in properties)
            {
                if (Portable(value) is { } portable)
                {
                    copy.AdditionalProperties[key] = portable;
                }
            }
        }

        return JsonSerializer.Serialize(copy, Json);
    }

    public static ChatOptions? ReadOptions(string? json)
    {
        if (json is null)
        {
            return null;
        }

        var options = JsonSerializer.Deserialize<ChatOptions>(json, Json);
        Restore(options?.AdditionalProperties);
        return options;
    }

    public static string Response(ChatResponse response) => JsonSerializer.Serialize(response, Json);

    public static ChatResponse ReadResponse(string json)
    {
        var response = JsonSerializer.Deserialize<ChatResponse>(json, Json) ?? new ChatResponse();
        Restore(response.AdditionalProperties);
        foreach (var message in response.Messages)
        {
            Restore(message.AdditionalProperties);
        }

        return response;
    }

    private static object? Portable(object? value) => value switch
    {
        null => null,
        bool or string or int or long or double or float or decimal or JsonElement => value,
        OutputConstraint c => new JsonObject
        {
            [ConstraintTag] = c.Kind.ToString(),
            ["choices"] = new JsonArray([.. c.Choices.IsDefault ? [] : c.Choices.Select(x => (JsonNode?)JsonValue.Create(x))]),
            ["pattern"] = c.Pattern,
        },
        _ => null,
    };

    /// <summary>Turns JSON values back into what Compose's readers expect: booleans, whole numbers as long, text, constraints.</summary>
    private static void Restore(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null)
        {
            return;
        }

        foreach (var (key, value) in properties.ToList())
        {
            if (value is not JsonElement element)
            {
                continue;
            }

            object? restored = element.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String => element.GetString(),
                JsonValueKind.Number when element.TryGetInt64(out var whole) => whole,
                JsonValueKind.Number => element.GetDouble(),
                JsonValueKind.Object when element.TryGetProperty(ConstraintTag, out var kind) => Constraint(kind.GetString(), element),
                _ => element,
            };
            properties[key] = restored;
        }
    }

    private static OutputConstraint? Constraint(string? kind, JsonElement element)
    {
        var pattern = element.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        return kind switch
        {
            nameof(OutputConstraintKind.Choice) => OutputConstraint.OneOf(element.GetProperty("choices").EnumerateArray().Select(c => c.GetString() ?? "")),
            nameof(OutputConstraintKind.Pattern) when pattern is not null => OutputConstraint.Regex(pattern),
            nameof(OutputConstraintKind.JsonSchema) when pattern is not null => OutputConstraint.Json(pattern),
            _ => null,
        };
    }
}
