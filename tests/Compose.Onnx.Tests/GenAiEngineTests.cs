using System.Text.Json;
using Compose.Models;
using Compose.Onnx.Config;
using Compose.Onnx.GenAi;
using Compose.Onnx.Generation;
using Compose.Onnx.TestKit;
using Microsoft.Extensions.AI;

namespace Compose.Onnx.Tests;

/// <summary>
/// The genai engine (ONNX Runtime GenAI's generator) gives the compose engine's greedy tokens on every folder both
/// load, and honours the same <see cref="IChatClient"/> contract through <see cref="OnnxChatClient"/>.
/// </summary>
public sealed class GenAiEngineTests
{
    private static readonly int[] Prompt = [TinyDecoderWriter.ImStart, 72, 101, 108, 108, 111, 10];

    private static GenerationRequest Greedy(IReadOnlyList<int> prompt, int n) =>
        new() { PromptIds = prompt, MaxNewTokens = n, StopAtEndOfSequence = false };

    internal static string Arith() => Path.Combine(SharedModels.RepoRoot()!, "models", "arith");

    private static ChatMessage User(string text) => new(ChatRole.User, text);

    [Fact]
    public async Task Arith_greedy_tokens_are_identical_on_both_engines()
    {
        using var compose = OnnxModel.Load(Arith(), new OnnxModelOptions { PrefixCacheBytes = 0 });
        using var genai = GenAiModel.Load(Arith());
        foreach (var question in new[] { "What is 47+385?", "What is 12*9?", "What is 100-1?" })
        {
            var ids = compose.Tokenizer.Encode(compose.ChatFormat.Render([User(question)]));
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

    [Theory]
    [InlineData(KvCacheLayout.Separate, false, true, false, false)]
    [InlineData(KvCacheLayout.Separate, true, true, false, false)]
    [InlineData(KvCacheLayout.Separate, false, false, false, false)]
    [InlineData(KvCacheLayout.Combined, false, true, false, false)]
    [InlineData(KvCacheLayout.Combined, true, false, true, false)]
    [InlineData(KvCacheLayout.Separate, false, true, true, true)]
    public async Task Every_writer_variant_gives_the_same_greedy_tokens_on_both_engines(KvCacheLayout layout, bool int32Ids, bool positionIds, bool external, bool fp16)
    {
        using var temp = new TempFolder();
        var spec = new TinyDecoderSpec
        {
            Layout = layout,
            Int32Ids = int32Ids,
            PositionIds = positionIds,
            ExternalData = external,
            Layers = 2,
            MlpSize = 32,
            Float16Cache = fp16,
            Float16Logits = fp16,
            ModelType = layout == KvCacheLayout.Combined ? "gpt2" : "llama", // ORT GenAI ties the combined cache to gpt2
        };
        var folder = TinyDecoderWriter.Write(temp.Sub("m"), spec);
        using var compose = OnnxModel.Load(folder, new OnnxModelOptions { PrefixCacheBytes = 0 });
        GenAiModel genai;
        try
        {
            genai = GenAiModel.Load(folder);
        }
        catch (Language.DiagnosticException e)
        {
            // A layout ORT GenAI cannot drive must say which feature is missing, never crash.
            Assert.Equal(OnnxErrors.EngineLacksFeature, e.Diagnostics[0].Code);
            Assert.Fail($"ORT GenAI refused variant {layout}/{int32Ids}/{positionIds}: {e.Diagnostics[0].Message}");
            return;
        }

        using (genai)
        {
            var a = await compose.GenerateAsync(Greedy(Prompt, 20));
            var b = await genai.GenerateAsync(Greedy(Prompt, 20));
            Assert.Equal(a.Tokens, b.Tokens);
        }
    }

    [Fact]
    public void A_combined_cache_on_a_llama_type_is_refused_naming_the_feature()
    {
        using var temp = new TempFolder();
        var folder = TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec { Layout = KvCacheLayout.Combined, ModelType = "llama" });
        var e = Assert.Throws<Language.DiagnosticException>(() => GenAiModel.Load(folder));
        Assert.Equal(OnnxErrors.EngineLacksFeature, e.Diagnostics[0].Code);
        Assert.Contains("combined key/value cache", e.Diagnostics[0].Message, StringComparison.Ordinal);
        using var compose = OnnxModel.Load(folder); // the compose engine reads it
    }

    [SkippableFact]
    public async Task Gpt2_reference_sequences_on_the_genai_engine()
    {
        using var model = GenAiModel.Load(SharedModels.Require("tiny-random-gpt2-fp32"));
        var results = await model.GenerateBatchAsync([Greedy([0, 0, 0, 52], 6), Greedy([0, 0, 195, 731], 6)]);
        Assert.Equal([204, 204, 204, 204, 204, 204], results[0].Tokens);
        Assert.Equal([731, 114, 114, 114, 114, 114], results[1].Tokens);
        Assert.Equal(1, model.Statistics.Batches);

        var single = await model.GenerateAsync(Greedy([0, 0, 195, 731], 6));
        Assert.Equal([731, 114, 114, 114, 114, 114], single.Tokens);
        Assert.All(single.LogProbs, lp => Assert.True(lp <= 0));
    }

    [Fact]
    public async Task Different_prompts_of_one_length_batch_together_and_match_single_runs()
    {
        using var temp = new TempFolder();
        var folder = TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec());
        using var compose = OnnxModel.Load(folder);
        using var genai = GenAiModel.Load(folder, new OnnxModelOptions { BatchWindow = TimeSpan.FromMilliseconds(100) });
        int[][] prompts = [[72, 105, 33, 10], [TinyDecoderWriter.ImStart, 87, 104, 97], [65, 66, 67, 68], [70, 71]];

        var batched = await Task.WhenAll(prompts.Select((p, i) => genai.GenerateAsync(Greedy(p, 8 + (4 * i)))));

        Assert.Equal(2, genai.Statistics.Batches); // three of length 4 together, the one of length 2 alone
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal((await compose.GenerateAsync(Greedy(prompts[i], 8 + (4 * i)))).Tokens, batched[i].Tokens);
        }
    }

    [Fact]
    public async Task Chat_client_on_genai_answers_like_compose_with_usage_streaming_and_stop_sequences()
    {
        using var composeModel = OnnxModel.Load(Arith());
        using var genaiModel = GenAiModel.Load(Arith());
        var compose = new OnnxChatClient(composeModel);
        var genai = new OnnxChatClient(genaiModel);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 16 };

        var a = await compose.GetResponseAsync([User("What is 47+385?")], options);
        var b = await genai.GetResponseAsync([User("What is 47+385?")], options);
        Assert.Equal("432", b.Text);
        Assert.Equal(a.Text, b.Text);
        Assert.Equal(a.Usage!.InputTokenCount, b.Usage!.InputTokenCount);
        Assert.Equal(a.Usage.OutputTokenCount, b.Usage.OutputTokenCount);
        Assert.Equal("", ChatContinuation.StoppedBy(b));
        Assert.Equal(ChatFinishReason.Stop, b.FinishReason);
        Assert.True((double)b.AdditionalProperties![OnnxChatClient.LogProbSumKey]! <= 0);

        var streamed = new List<ChatResponseUpdate>();
        await foreach (var update in genai.GetStreamingResponseAsync([User("What is 47+385?")], options))
        {
            streamed.Add(update);
        }

        Assert.Equal("432", string.Concat(streamed.Select(u => u.Text)));
        Assert.Contains(streamed, u => u.Contents.OfType<UsageContent>().Any());

        var stopped = await genai.GetResponseAsync([User("What is 47+385?")], new ChatOptions { Temperature = 0, MaxOutputTokens = 16, StopSequences = ["3"] });
        Assert.Equal("4", stopped.Text);
        Assert.Equal("3", ChatContinuation.StoppedBy(stopped));

        var cut = await genai.GetResponseAsync([User("What is 47+385?")], new ChatOptions { Temperature = 0, MaxOutputTokens = 2 });
        Assert.Equal("43", cut.Text);
        Assert.Equal(ChatFinishReason.Length, cut.FinishReason);
        Assert.Null(ChatContinuation.StoppedBy(cut));
    }

    [Fact]
    public async Task Genai_continues_a_partial_answer_like_compose()
    {
        using var composeModel = OnnxModel.Load(Arith());
        using var genaiModel = GenAiModel.Load(Arith());
        ChatMessage[] messages = [User("What is 47+385?"), new(ChatRole.Assistant, "4")];
        var options = ChatContinuation.Continue(new ChatOptions { Temperature = 0, MaxOutputTokens = 8 });

        var a = await new OnnxChatClient(composeModel).GetResponseAsync(messages, options);
        var b = await new OnnxChatClient(genaiModel).GetResponseAsync(messages, options);

        Assert.Equal("32", b.Text);
        Assert.Equal(a.Text, b.Text);
    }

    [Fact]
    public async Task Sampling_is_on_whenever_temperature_is_positive_and_a_seed_reproduces_it()
    {
        using var temp = new TempFolder();
        using var model = GenAiModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec { PrintableOutput = true }));
        var client = new OnnxChatClient(model);
        ChatResponse Ask(long? seed) => client.GetResponseAsync([User("Hello")], new ChatOptions { Temperature = 1.5f, MaxOutputTokens = 12, Seed = seed }).GetAwaiter().GetResult();

        Assert.Equal(Ask(7).Text, Ask(7).Text);
        var texts = Enumerable.Range(0, 6).Select(i => Ask(100 + i).Text).Distinct().Count();
        Assert.True(texts > 1, "temperature 1.5 with different seeds should not give one text");
        var greedy = await client.GetResponseAsync([User("Hello")], new ChatOptions { Temperature = 0, MaxOutputTokens = 12 });
        Assert.Equal(greedy.Text, (await client.GetResponseAsync([User("Hello")], new ChatOptions { Temperature = 0, MaxOutputTokens = 12 })).Text);
    }

    [Fact]
    public async Task Eight_unseeded_samples_of_one_prompt_run_as_one_batch()
    {
        using var temp = new TempFolder();
        using var model = GenAiModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec()), new OnnxModelOptions { BatchWindow = TimeSpan.FromMilliseconds(100) });
        var sampled = new GenerationRequest { PromptIds = Prompt, MaxNewTokens = 10, StopAtEndOfSequence = false, Sampling = new SamplingSettings { Temperature = 1.2f } };

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => model.GenerateAsync(sampled)));

        Assert.Equal(1, model.Statistics.Batches);
        Assert.All(results, r => Assert.Equal(10, r.Tokens.Count));
        Assert.True(results.Select(r => string.Join(",", r.Tokens)).Distinct().Count() > 1);
    }

    [SkippableFact]
    public void Cuda_on_the_genai_engine_names_the_package_it_needs()
    {
        Skip.If(GenAiModel.CudaBuild, "this build references the CUDA package");
        var e = Assert.Throws<Language.DiagnosticException>(() => GenAiModel.Load(Arith(), new OnnxModelOptions { ExecutionProvider = "cuda" }));
        Assert.Equal(OnnxErrors.EngineUnavailable, e.Diagnostics[0].Code);
        Assert.Contains(GenAiModel.CudaPackage, e.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Contains("ComposeGenAiCuda", e.Diagnostics[0].Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Genai_answers_json_that_parses_under_a_schema()
    {
        using var temp = new TempFolder();
        using var model = GenAiModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec()));
        var client = new OnnxChatClient(model);
        const string schema = """{"type":"object","properties":{"answer":{"type":"integer"},"ok":{"type":"boolean"}},"required":["answer","ok"],"additionalProperties":false}""";
        for (var seed = 0; seed < 4; seed++)
        {
            var options = ChatConstraint.Constrain(new ChatOptions { Temperature = 1f, Seed = seed, MaxOutputTokens = 200 }, OutputConstraint.Json(schema));
            var reply = await client.GetResponseAsync([User("Answer in JSON.")], options);
            using var json = JsonDocument.Parse(reply.Text);
            Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty("answer").ValueKind);
            Assert.True(json.RootElement.GetProperty("ok").ValueKind is JsonValueKind.True or JsonValueKind.False);
        }
    }

    [Theory]
    [InlineData("compose")]
    [InlineData("genai")]
    public async Task A_yes_no_constraint_always_yields_yes_or_no(string engine)
    {
        using var temp = new TempFolder();
        var folder = TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec());
        using IOnnxEngine model = engine == "genai" ? GenAiModel.Load(folder) : OnnxModel.Load(folder);
        var client = new OnnxChatClient(model);
        var seen = new HashSet<string>();
        for (var seed = 0; seed < 12; seed++)
        {
            var options = ChatConstraint.Constrain(new ChatOptions { Temperature = 2f, Seed = seed, MaxOutputTokens = 30 }, OutputConstraint.OneOf("yes", "no"));
            var reply = await client.GetResponseAsync([User($"Is {seed} even?")], options);
            Assert.Contains(reply.Text, (string[])["yes", "no"]);
            seen.Add(reply.Text);
        }

        Assert.Equal(2, seen.Count); // the mask chose, not a fixed answer
    }
}
