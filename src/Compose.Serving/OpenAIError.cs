using System.Text.Json.Nodes;
using Compose.Models;
using Microsoft.AspNetCore.Http;

namespace Compose.Serving;

/// <summary>An error in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
public sealed record OpenAIError(int Status, string Message, string Type, string? Param = null, string? Code = null)
{
    /// <summary>How response bodies are written (text as is, not \u-escaped).</summary>
    internal static System.Text.Json.JsonSerializerOptions Json { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static OpenAIError BadRequest(string message, string? param = null, string? code = null) => new(400, message, "invalid_request_error", param, code);

    public JsonObject ToJson() => new()
    {
        ["error"] = new JsonObject
        {
            // The last gate before an HTTP client: no registered secret, nor a piece of one, leaves in a message.
            ["message"] = SecretRedactor.Redact(Message),
            ["type"] = Type,
            ["param"] = Param,
            ["code"] = Code,
        },
    };

    /// <summary>Writes the error as the response (status and JSON body).</summary>
    public Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        return response.WriteAsync(ToJson().ToJsonString(OpenAIError.Json), cancellationToken);
    }
}
