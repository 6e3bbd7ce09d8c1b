using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json.Nodes;

namespace Compose.Models.Providers;

/// <summary>
/// Renames <c>max_completion_tokens</c> (what the OpenAI .NET client sends) to <c>max_tokens</c> in chat requests,
/// for OpenAI-compatible servers that only know the original field (<c>max_tokens_field: max_tokens</c>).
/// </summary>
internal sealed class LegacyMaxTokensPolicy : PipelinePolicy
{
    public static LegacyMaxTokensPolicy Instance { get; } = new();

    private static ReadOnlySpan<byte> NewField => "\"max_completion_tokens\""u8;

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        Rewrite(message, CancellationToken.None);
        ProcessNext(message, pipeline, currentIndex);
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        Rewrite(message, message.CancellationToken);
        await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
    }

    private static void Rewrite(PipelineMessage message, CancellationToken cancellationToken)
    {
        if (message.Request.Content is not { } content)
        {
            return;
        }

        // Request bodies are small, in memory JSON; copying one costs nothing next to a model call.
        using var buffer = new MemoryStream();
        content.WriteTo(buffer, cancellationToken);
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.IndexOf(NewField) < 0 || JsonNode.Parse(bytes) is not JsonObject body)
        {
            return;
        }

        if (body.Remove("max_completion_tokens", out var value) && !body.ContainsKey("max_tokens"))
        {
            body["max_tokens"] = value;
        }

        message.Request.Content = BinaryContent.Create(BinaryData.FromString(body.ToJsonString()));
    }
}
