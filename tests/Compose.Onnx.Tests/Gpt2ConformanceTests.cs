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

    [SkippableFact]
    public async Task Chat_client_over_the_provider_reports_tokens_outside_the_model_vocabulary()
    {
        var folder = SharedModels.Require("tiny-random-gpt2-fp32");
        using var provider = new OnnxModelProvider();
        var spec = new Compose.Language.ModelSpec("gpt2", "onnx",
            new Compose.Language.SpecMapping([new Compose.Language.SpecEntry("path", default, new Compose.Language.SpecScalar(folder, default))], default), default);
        var client = provider.Create(spec, new Compose.Models.ModelProviderContext { BaseDirectory = "/", Catalog = Compose.Models.ModelProviderCatalog.Empty });

        // The folder pairs GPT-2's 50k tokenizer with a 1000-id decoder: real text cannot be fed to it.
        var e = await Assert.ThrowsAsync<Compose.Language.DiagnosticException>(() => client.GetResponseAsync(
            [new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.User, "Hello")], new Microsoft.Extensions.AI.ChatOptions { MaxOutputTokens = 5, Temperature = 0 }));

        Assert.Equal(OnnxErrors.TokenOutOfVocabulary, e.Diagnostics[0].Code);
        Assert.EndsWith("tokenizer.json", e.Diagnostics[0].Location.File, StringComparison.Ordinal);
    }
}
