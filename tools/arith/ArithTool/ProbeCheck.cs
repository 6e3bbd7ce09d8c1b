using System.Text.Json;
using Compose.Onnx;
using Microsoft.Extensions.AI;

namespace Compose.Tools.Arith;

/// <summary>
/// Runs the written model folder through the project's ONNX runner at temperature 0 on the questions of
/// choose.py's probe.jsonl and counts how many greedy answers agree with PyTorch's: the check that the graph,
/// the tokenizer and the chat format the runner applies all match training.
/// </summary>
internal static class ProbeCheck
{
    public static async Task<(int Agree, int Total, IReadOnlyList<string> Differences)> RunAsync(string probeFile, string modelFolder, CancellationToken ct)
    {
        using var model = OnnxModel.Load(modelFolder);
        using var client = new OnnxChatClient(model);
        var differences = new List<string>();
        var total = 0;
        foreach (var line in File.ReadLines(probeFile))
        {
            using var doc = JsonDocument.Parse(line);
            var question = doc.RootElement.GetProperty("question").GetString()!;
            var expected = doc.RootElement.GetProperty("greedy").GetString()!;
            var maxTokens = doc.RootElement.TryGetProperty("max_tokens", out var m) ? m.GetInt32() : 8;
            var reply = await client.GetResponseAsync([new ChatMessage(ChatRole.User, question)], new ChatOptions { Temperature = 0, MaxOutputTokens = maxTokens }, ct);
            total++;
            if (reply.Text != expected)
            {
                differences.Add($"{question}: torch '{expected}', onnx '{reply.Text}'");
            }
        }

        return (total - differences.Count, total, differences);
    }
}
