using System.Collections.Immutable;
using System.Text.Json;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Evaluation.Benchmarks;

/// <summary>
/// One benchmark question: an id, the prompt (or a conversation whose last user message is the
/// question), the accepted reference answers and free metadata (for example the choices of a
/// multiple-choice item, or a test program).
/// </summary>
public sealed record BenchmarkItem(string Id, string? Prompt, ImmutableArray<ChatMessage> Messages, ImmutableArray<string> References, JsonElement? Metadata)
{
    /// <summary>The first reference answer ("" when the item has none).</summary>
    public string Reference => References.IsDefaultOrEmpty ? "" : References[0];

    /// <summary>The question a pipeline answers.</summary>
    public Question ToQuestion() =>
        Messages.IsDefaultOrEmpty ? Question.FromText(Prompt ?? "", Id) : Question.FromMessages(Messages, Id);

    /// <summary>The question text (the prompt, or the last user message).</summary>
    public string Text => ToQuestion().Text;

    /// <summary>
    /// The item as one benchmark line that <see cref="BenchmarkReader.Parse"/> reads back to an equal item (id, prompt,
    /// text messages, every reference, metadata): how an item travels to another process.
    /// </summary>
    public string ToJsonLine()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", Id);
            if (Prompt is not null)
            {
                json.WriteString("prompt", Prompt);
            }

            if (!Messages.IsDefaultOrEmpty)
            {
                json.WriteStartArray("messages");
                foreach (var message in Messages)
                {
                    json.WriteStartObject();
                    json.WriteString("role", message.Role.Value);
                    json.WriteString("content", message.Text);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteStartArray("reference");
            foreach (var reference in References.IsDefault ? [] : References)
            {
                json.WriteStringValue(reference);
            }

            json.WriteEndArray();
            if (Metadata is { } metadata)
            {
                json.WritePropertyName("metadata");
                metadata.WriteTo(json);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A metadata string value, or null.</summary>
    public string? Meta(string key) =>
        Metadata is { ValueKind: JsonValueKind.Object } m && m.TryGetProperty(key, out var v)
            ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())
            : null;
}
