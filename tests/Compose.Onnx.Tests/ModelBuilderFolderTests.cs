using Compose.Onnx.GenAi;
using Compose.Onnx.Generation;
using Compose.Onnx.TestKit;

namespace Compose.Onnx.Tests;

/// <summary>
/// Folders in the layout ORT GenAI's model builder writes for real models (GroupQueryAttention with grouped queries and
/// rotary embedding inside it, 4-bit MatMulNBits weights, a shared past/present buffer in genai_config), written by the
/// test kit: both engines run them and give the greedy tokens of the same weights computed in standard operators.
/// </summary>
public sealed class ModelBuilderFolderTests
{
    private static readonly int[][] Prompts =
    [
        [TinyDecoderWriter.ImStart, 72, 101, 108, 108, 111, 10],
        [65, 66, 67],
        [TinyDecoderWriter.ImStart, 87, 104, 97, 116, 32, 105, 115, 32, 52, 55, 43, 51, 56, 53, 63, 10],
    ];

    private static GenerationRequest Greedy(IReadOnlyList<int> prompt, int n) =>
        new() { PromptIds = prompt, MaxNewTokens = n, StopAtEndOfSequence = false };

    [Fact]
    public async Task Both_engines_give_the_float_reference_tokens()
    {
        using var temp = new TempFolder();
        var spec = TinyDecoderSpec.ModelBuilder();
        var builder = TinyDecoderWriter.Write(temp.Sub("builder"), spec);
        var reference = TinyDecoderWriter.Write(temp.Sub("reference"), spec.FloatReference());
        using var expected = OnnxModel.Load(reference, new OnnxModelOptions { PrefixCacheBytes = 0 });
        using var compose = OnnxModel.Load(builder);
        using var genai = GenAiModel.Load(builder);
        foreach (var prompt in Prompts)
        {
            var want = await expected.GenerateAsync(Greedy(prompt, 24));
            var a = await compose.GenerateAsync(Greedy(prompt, 24));
            var b = await genai.GenerateAsync(Greedy(prompt, 24));
            Assert.Equal(want.Tokens, b.Tokens);
            Assert.Equal(want.Tokens, a.Tokens);
        }
    }

    [Fact]
    public async Task Concurrent_requests_of_different_lengths_on_the_compose_engine_match_the_reference()
    {
        using var temp = new TempFolder();
        var spec = TinyDecoderSpec.ModelBuilder(seed: 3);
        var builder = TinyDecoderWriter.Write(temp.Sub("builder"), spec);
        var reference = TinyDecoderWriter.Write(temp.Sub("reference"), spec.FloatReference());
        using var expected = OnnxModel.Load(reference, new OnnxModelOptions { PrefixCacheBytes = 0 });
        using var compose = OnnxModel.Load(builder, new OnnxModelOptions { BatchWindow = TimeSpan.FromMilliseconds(100) });
        var requests = Prompts.Concat(Prompts).Select((p, i) => Greedy(p, 6 + (3 * i))).ToList();

        var results = await Task.WhenAll(requests.Select(r => compose.GenerateAsync(r)));

        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal((await expected.GenerateAsync(requests[i])).Tokens, results[i].Tokens);
        }
    }
}
