using Compose.Onnx.Config;
using Compose.Onnx.GenAi;
using Compose.Onnx.Generation;
using Compose.Onnx.TestKit;

namespace Compose.Onnx.Tests;

/// <summary>The genai engine (ONNX Runtime GenAI's generator) gives the compose engine's greedy tokens on every folder both load.</summary>
public sealed class GenAiEngineTests
{
    private static readonly int[] Prompt = [TinyDecoderWriter.ImStart, 72, 101, 108, 108, 111, 10];

    private static GenerationRequest Greedy(IReadOnlyList<int> prompt, int n) =>
        new() { PromptIds = prompt, MaxNewTokens = n, StopAtEndOfSequence = false };

    internal static string Arith() => Path.Combine(SharedModels.RepoRoot()!, "models", "arith");

    [Fact]
    public async Task Arith_greedy_tokens_are_identical_on_both_engines()
    {
        using var compose = OnnxModel.Load(Arith(), new OnnxModelOptions { PrefixCacheBytes = 0 });
        using var genai = GenAiModel.Load(Arith());
        foreach (var question in new[] { "What is 47+385?", "What is 12*9?", "What is 100-1?" })
        {
            var ids = compose.Tokenizer.Encode(compose.ChatFormat.Render([new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, question)]));
            var a = await compose.GenerateAsync(new GenerationRequest { PromptIds = ids, MaxNewTokens = 16 });
            var b = await genai.GenerateAsync(new GenerationRequest { PromptIds = ids, MaxNewTokens = 16 });
            Assert.Equal(a.Tokens, b.Tokens);
            Assert.Equal(a.FinishReason, b.FinishReason);
            Assert.Equal(a.LogProbs.Count, b.LogProbs.Count);
            for (var i = 0; i < a.LogProbs.Count; i++)
            {
                Assert.Equal(a.LogProbs[i], b.LogProbs[i], 3);
            }
        }
    }
}
