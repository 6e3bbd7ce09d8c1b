using Compose.Onnx.Generation;

namespace Compose.Onnx.Tests;

/// <summary>Greedy sequences of tiny-random-gpt2-fp32 must equal the reference runtime's (its EXPECTED.md).</summary>
public sealed class Gpt2ConformanceTests
{
    private static GenerationRequest Greedy(int[] prompt) => new() { PromptIds = prompt, MaxNewTokens = 10 - prompt.Length };

    [SkippableFact]
    public async Task Batch_of_two_matches_reference()
    {
        using var model = OnnxModel.Load(SharedModels.Require("tiny-random-gpt2-fp32"));
        var results = await model.GenerateBatchAsync([Greedy([0, 0, 0, 52]), Greedy([0, 0, 195, 731])]);

        Assert.Equal([204, 204, 204, 204, 204, 204], results[0].Tokens);
        Assert.Equal([731, 114, 114, 114, 114, 114], results[1].Tokens);
        Assert.Equal(1, model.Statistics.Batches);
    }

    [SkippableFact]
    public async Task Batch_of_one_matches_reference()
    {
        using var model = OnnxModel.Load(SharedModels.Require("tiny-random-gpt2-fp32"));
        var result = await model.GenerateAsync(Greedy([0, 0, 195, 731]));

        Assert.Equal([731, 114, 114, 114, 114, 114], result.Tokens);
        Assert.Equal(GenerationFinishReason.MaxTokens, result.FinishReason);
        Assert.Equal(6, result.LogProbs.Count);
        Assert.All(result.LogProbs, lp => Assert.True(lp <= 0));
    }

    [SkippableFact]
    public void Reads_combined_cache_layout_and_gpt2_tokenizer()
    {
        using var model = OnnxModel.Load(SharedModels.Require("tiny-random-gpt2-fp32"));
        Assert.Equal(Config.KvCacheLayout.Combined, model.Interface.Layout);
        Assert.Equal([15496, 995], model.Tokenizer.Encode("Hello world"));
        Assert.Equal("Hello world", model.Tokenizer.Decode([15496, 995]));
        var text = OnnxModelInspector.Describe(model);
        Assert.Contains("gpt2", text, StringComparison.Ordinal);
        Assert.Contains("combined past_%d", text, StringComparison.Ordinal);
    }
}
