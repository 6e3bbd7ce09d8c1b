using Compose.Onnx.Config;
using Compose.Onnx.Generation;
using Compose.Onnx.TestKit;

namespace Compose.Onnx.Tests;

/// <summary>On model folders the tests write themselves, cached generation equals full recomputation.</summary>
public sealed class TinyDecoderTests
{
    private static readonly int[] Prompt = [TinyDecoderWriter.ImStart, 72, 101, 108, 108, 111, 10];

    private static GenerationRequest Greedy(IReadOnlyList<int> prompt, int n) =>
        new() { PromptIds = prompt, MaxNewTokens = n, StopAtEndOfSequence = false };

    [Theory]
    [InlineData(KvCacheLayout.Separate, false, true, false)]
    [InlineData(KvCacheLayout.Separate, true, true, false)]
    [InlineData(KvCacheLayout.Separate, false, false, false)]
    [InlineData(KvCacheLayout.Combined, false, true, false)]
    [InlineData(KvCacheLayout.Combined, true, false, true)]
    public async Task Cached_greedy_equals_recomputation_without_cache(KvCacheLayout layout, bool int32Ids, bool positionIds, bool external)
    {
        using var temp = new TempFolder();
        var spec = new TinyDecoderSpec { Layout = layout, Int32Ids = int32Ids, PositionIds = positionIds, ExternalData = external, Layers = 2, MlpSize = 32 };
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), spec));

        var cached = await model.GenerateAsync(Greedy(Prompt, 24));
        var reference = NoCacheReference.Greedy(model, Prompt, 24);

        Assert.Equal(reference, cached.Tokens);
        Assert.Equal(layout, model.Interface.Layout);
        Assert.Equal(positionIds, model.Interface.HasPositionIds);
        Assert.True(reference.Distinct().Count() > 1, "the random model should not emit a single repeated token");
    }

    [Fact]
    public async Task Float16_cache_and_logits_run_and_first_token_matches()
    {
        using var temp = new TempFolder();
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec { Float16Cache = true, Float16Logits = true }));
        Assert.Equal(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16, model.Interface.CacheType);
        Assert.Equal(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16, model.Interface.LogitsType);

        var result = await model.GenerateAsync(Greedy(Prompt, 12));

        Assert.Equal(12, result.Tokens.Count);
        Assert.Equal(NoCacheReference.Greedy(model, Prompt, 1)[0], result.Tokens[0]);
    }

    [Fact]
    public async Task Batched_prompts_of_different_lengths_match_single_runs()
    {
        using var temp = new TempFolder();
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec()));
        int[][] prompts = [[72, 105], [TinyDecoderWriter.ImStart, 87, 104, 97, 116, 63, 10], [65, 66, 67, 68]];

        var batched = await model.GenerateBatchAsync([.. prompts.Select((p, i) => Greedy(p, 8 + (4 * i)))]);
        Assert.Equal(1, model.Statistics.Batches);

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(NoCacheReference.Greedy(model, prompts[i], 8 + (4 * i)), batched[i].Tokens);
            Assert.Equal(8 + (4 * i), batched[i].Tokens.Count); // each sequence finished on its own
        }
    }

    [Fact]
    public async Task Shared_prompt_is_prefilled_once_for_all_samples()
    {
        using var temp = new TempFolder();
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec()));
        var single = await model.GenerateAsync(Greedy(Prompt, 10));
        model.Statistics.Reset();

        var sampled = Enumerable.Range(0, 6).Select(i => Greedy(Prompt, 10) with
        {
            Sampling = i == 0 ? SamplingSettings.Greedy : new SamplingSettings { Temperature = 1.5f, Seed = i },
        }).ToList();
        var results = await model.GenerateBatchAsync(sampled);

        Assert.Equal(1, model.Statistics.Prefills);
        Assert.Equal(single.Tokens, results[0].Tokens);
        Assert.True(results.Skip(1).Select(r => string.Join(",", r.Tokens)).Distinct().Count() > 1);
    }

    [Fact]
    public async Task Concurrent_requests_are_batched_together()
    {
        using var temp = new TempFolder();
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec()), new OnnxModelOptions { BatchWindow = TimeSpan.FromMilliseconds(200) });
        var tasks = Enumerable.Range(0, 4).Select(i => model.GenerateAsync(Greedy([65 + i, 66], 6))).ToArray();
        var results = await Task.WhenAll(tasks);

        Assert.Equal(1, model.Statistics.Batches);
        Assert.All(results, r => Assert.Equal(6, r.Tokens.Count));
    }

    [Fact]
    public async Task Cache_grows_with_generation_and_stops_at_context_length()
    {
        using var temp = new TempFolder();
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec { ContextLength = 16 }));
        var result = await model.GenerateAsync(Greedy(Prompt, 100));

        Assert.Equal(GenerationFinishReason.ContextFull, result.FinishReason);
        Assert.Equal(16 - Prompt.Length, result.Tokens.Count);
    }

    [Fact]
    public async Task Cancelling_one_sequence_leaves_the_others_running()
    {
        using var temp = new TempFolder();
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec()));
        using var cts = new CancellationTokenSource();
        var cancelled = model.GenerateAsync(Greedy(Prompt, 50) with { Observer = (_, _) => { cts.Cancel(); return true; } }, cts.Token);
        var other = model.GenerateAsync(Greedy(Prompt, 20));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(20, (await other).Tokens.Count);
    }

    [Theory]
    [InlineData(KvCacheLayout.Separate)]
    [InlineData(KvCacheLayout.Combined)]
    public async Task A_request_arriving_mid_generation_joins_the_running_batch(KvCacheLayout layout)
    {
        using var temp = new TempFolder();
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(temp.Sub("m"), new TinyDecoderSpec { Layout = layout }));
        int[] longPrompt = [65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76];
        int[] shortPrompt = [TinyDecoderWriter.ImStart, 90];
        Task<Generation.GenerationResult>? joined = null;
        var seen = 0;
        var joinedTokens = 0;
        var longTokensWhenJoinedFinished = -1;
        var running = model.GenerateAsync(Greedy(longPrompt, 40) with
        {
            Observer = (_, _) =>
            {
                if (++seen == 5)
                {
                    joined = model.GenerateAsync(Greedy(shortPrompt, 6) with
                    {
                        // Observers run on the generation thread, so this sees the long sequence's progress exactly.
                        Observer = (_, _) =>
                        {
                            if (++joinedTokens == 6)
                            {
                                longTokensWhenJoinedFinished = seen;
                            }

                            return true;
                        },
                    });
                }

                return true;
            },
        });

        var first = await running;
        var second = await joined!;
        Assert.Equal(NoCacheReference.Greedy(model, longPrompt, 40), first.Tokens);
        Assert.Equal(NoCacheReference.Greedy(model, shortPrompt, 6), second.Tokens);
        Assert.InRange(longTokensWhenJoinedFinished, 6, 39); // it ran alongside, not after, the long sequence
    }
}
