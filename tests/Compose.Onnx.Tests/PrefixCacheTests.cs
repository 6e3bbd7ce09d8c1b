using Compose.Models;
using Compose.Onnx.Config;
using Compose.Onnx.Generation;
using Compose.Onnx.TestKit;
using Microsoft.Extensions.AI;

namespace Compose.Onnx.Tests;

/// <summary>
/// The prefix cache: a prompt sharing a prefix with a finished sequence prefills only the rest, and greedy outputs
/// equal those with the cache off, token for token.
/// </summary>
public sealed class PrefixCacheTests : IDisposable
{
    private static readonly int[] Question = [TinyDecoderWriter.ImStart, .. "user\nWhat comes after the sea and the wind, and why?"u8.ToArray().Select(b => (int)b), TinyDecoderWriter.ImEnd, 10];
    private readonly TempFolder _temp = new();

    private static GenerationRequest Greedy(IReadOnlyList<int> prompt, int n) =>
        new() { PromptIds = prompt, MaxNewTokens = n, StopAtEndOfSequence = false };

    private (OnnxModel On, OnnxModel Off) Pair(TinyDecoderSpec spec, long bytes = OnnxModelOptions.DefaultPrefixCacheBytes, TimeSpan? window = null)
    {
        var folder = TinyDecoderWriter.Write(_temp.Sub("m" + Guid.NewGuid().ToString("N")[..6]), spec);
        var w = window ?? OnnxModelOptions.Default.BatchWindow;
        return (OnnxModel.Load(folder, new OnnxModelOptions { PrefixCacheBytes = bytes, BatchWindow = w }),
            OnnxModel.Load(folder, new OnnxModelOptions { PrefixCacheBytes = 0, BatchWindow = w }));
    }

    [Theory]
    [InlineData(KvCacheLayout.Separate, true, false)]
    [InlineData(KvCacheLayout.Separate, false, false)]
    [InlineData(KvCacheLayout.Combined, true, false)]
    [InlineData(KvCacheLayout.Combined, false, false)]
    [InlineData(KvCacheLayout.Separate, true, true)]
    public async Task A_continued_prompt_prefills_only_its_new_tokens_and_generates_the_same(KvCacheLayout layout, bool positionIds, bool float16Cache)
    {
        var (on, off) = Pair(new TinyDecoderSpec { Layout = layout, PositionIds = positionIds, Float16Cache = float16Cache, MlpSize = 32 });
        using (on)
        using (off)
        {
            var first = await on.GenerateAsync(Greedy(Question, 16));
            Assert.Equal(Question.Length, on.Statistics.PromptTokensPrefilled);
            Assert.Equal(0, on.Statistics.PromptTokensReused);
            Assert.Equal(1, on.Statistics.PrefixCacheMisses);
            Assert.Equal(1, on.Statistics.PrefixCacheEntries);
            Assert.True(on.Statistics.PrefixCacheBytes > 0);
            Assert.Equal((await off.GenerateAsync(Greedy(Question, 16))).Tokens, first.Tokens);

            // The next step of the answer: the question, the first 16 tokens, and 3 more tokens of our own.
            int[] step = [.. Question, .. first.Tokens, 65, 66, 67];
            on.Statistics.Reset();
            var second = await on.GenerateAsync(Greedy(step, 16));
            Assert.Equal(1, on.Statistics.PrefixCacheHits);
            Assert.Equal(Question.Length + 15, on.Statistics.PromptTokensReused); // the last sampled token was never run
            Assert.Equal(4, on.Statistics.PromptTokensPrefilled);
            Assert.Equal((await off.GenerateAsync(Greedy(step, 16))).Tokens, second.Tokens);
            if (!float16Cache)
            {
                Assert.Equal(NoCacheReference.Greedy(on, step, 16), second.Tokens);
            }

            // A prompt that shares only part of the question (a re-tokenised end): the common part is reused.
            int[] other = [.. Question[..20], 88, 89];
            on.Statistics.Reset();
            var third = await on.GenerateAsync(Greedy(other, 12));
            Assert.Equal(20, on.Statistics.PromptTokensReused);
            Assert.Equal(2, on.Statistics.PromptTokensPrefilled);
            Assert.Equal((await off.GenerateAsync(Greedy(other, 12))).Tokens, third.Tokens);

            // The same prompt again: everything but its last token is reused.
            on.Statistics.Reset();
            var again = await on.GenerateAsync(Greedy(Question, 16));
            Assert.Equal(first.Tokens, again.Tokens);
            Assert.Equal(1, on.Statistics.PromptTokensPrefilled);
            Assert.Equal(0, off.Statistics.PromptTokensReused);
        }
    }

    [Fact]
    public async Task Concurrent_requests_share_a_cached_prefix_in_one_batch()
    {
        var (on, off) = Pair(new TinyDecoderSpec { MlpSize = 32 }, window: TimeSpan.FromMilliseconds(300));
        using (on)
        using (off)
        {
            var first = await on.GenerateAsync(Greedy(Question, 10));
            on.Statistics.Reset();

            // Suffixes of 1, 1 (the same prompt twice: copies made by resampling), 3, 6 and 40 new tokens, and a prompt
            // that shares nothing: parts of different remaining lengths merged into one running batch.
            int[] tail = [.. first.Tokens, .. Enumerable.Range(0, 40).Select(i => 65 + (i % 26))];
            int[][] prompts =
            [
                [.. Question, .. first.Tokens],
                [.. Question, .. first.Tokens],
                [.. Question, .. tail[..12]],
                [.. Question, .. tail[..15]],
                [.. Question, .. tail[..49]],
                [70, 71, 72, 73, 74],
            ];
            var requests = prompts.Select((p, i) => Greedy(p, 10 + i) with
            {
                Sampling = i == 1 ? new SamplingSettings { Temperature = 0.9f, Seed = 3 } : SamplingSettings.Greedy,
            }).ToList();
            var results = await Task.WhenAll(requests.Select(r => on.GenerateAsync(r)));

            Assert.Equal(1, on.Statistics.Batches);
            Assert.Equal(4, on.Statistics.PrefixCacheHits); // the identical prompts count once
            Assert.Equal(1, on.Statistics.PrefixCacheMisses);
            // Parts: the prompt that found nothing (5 tokens); remainders 1, 3 and 6 together (each runs 6: a shorter row runs
            // a little more of its cached prefix rather than leave a gap); the remainder of 40 alone.
            Assert.Equal(5 + (3 * 6) + 40, on.Statistics.PromptTokensPrefilled);
            var reference = await Task.WhenAll(requests.Select(r => off.GenerateAsync(r)));
            for (var i = 0; i < prompts.Length; i++)
            {
                Assert.Equal(reference[i].Tokens, results[i].Tokens);
                if (i != 1)
                {
                    Assert.Equal(NoCacheReference.Greedy(on, prompts[i], 10 + i), results[i].Tokens);
                }
            }
        }
    }

    [Fact]
    public async Task A_request_joining_a_running_batch_reuses_a_cached_prefix()
    {
        var (on, off) = Pair(new TinyDecoderSpec());
        using (on)
        using (off)
        {
            var first = await on.GenerateAsync(Greedy(Question, 8));
            int[] continued = [.. Question, .. first.Tokens];
            Task<GenerationResult>? joined = null;
            var seen = 0;
            var running = on.GenerateAsync(Greedy([65, 66, 67, 68], 30) with
            {
                Observer = (_, _) =>
                {
                    if (++seen == 4)
                    {
                        joined = on.GenerateAsync(Greedy(continued, 6));
                    }

                    return true;
                },
            });

            await running;
            var second = await joined!;
            Assert.Equal(NoCacheReference.Greedy(on, continued, 6), second.Tokens);
            Assert.Equal((await off.GenerateAsync(Greedy(continued, 6))).Tokens, second.Tokens);
            Assert.True(on.Statistics.PromptTokensReused >= Question.Length);
        }
    }

    [Fact]
    public async Task A_tiny_byte_limit_evicts_whole_entries_and_changes_no_output()
    {
        var spec = new TinyDecoderSpec();
        var perToken = spec.Layers * 2 * spec.Heads * spec.HeadSize * sizeof(float);
        var limit = (long)perToken * (Question.Length + 20); // room for one entry of the question and its answer
        var (on, off) = Pair(spec, limit);
        using (on)
        using (off)
        {
            int[][] prompts = [Question, [.. Question[..10], 90, 91, 92], [80, 81, 82, 83, 84, 85], Question, [.. Question, 65]];
            foreach (var p in prompts)
            {
                var a = await on.GenerateAsync(Greedy(p, 12));
                var b = await off.GenerateAsync(Greedy(p, 12));
                Assert.Equal(b.Tokens, a.Tokens);
                Assert.InRange(on.Statistics.PrefixCacheBytes, 1, limit);
            }

            Assert.True(on.Statistics.PrefixCacheEvictions > 0);
            Assert.Equal(1, on.Statistics.PrefixCacheEntries);
            Assert.True(on.Statistics.PrefixCacheHits > 0);
        }
    }

    [Fact]
    public async Task An_entry_larger_than_the_limit_is_not_kept()
    {
        var (on, off) = Pair(new TinyDecoderSpec(), 1024);
        using (on)
        using (off)
        {
            var a = await on.GenerateAsync(Greedy(Question, 8));
            var b = await on.GenerateAsync(Greedy(Question, 8));
            Assert.Equal(a.Tokens, b.Tokens);
            Assert.Equal(0, on.Statistics.PrefixCacheEntries);
            Assert.Equal(0, on.Statistics.PromptTokensReused);
            Assert.Equal(2 * Question.Length, on.Statistics.PromptTokensPrefilled);
        }
    }

    [SkippableFact]
    public async Task On_the_arith_model_particles_continued_through_the_chat_client_answer_as_without_the_cache()
    {
        var folder = Path.Combine(SharedModels.RepoRoot()!, "models", "arith");
        Skip.IfNot(File.Exists(Path.Combine(folder, "model.onnx")), "models/arith is not in this checkout");
        using var on = OnnxModel.Load(folder, new OnnxModelOptions { BatchWindow = TimeSpan.FromMilliseconds(300) });
        using var off = OnnxModel.Load(folder, new OnnxModelOptions { PrefixCacheBytes = 0, BatchWindow = TimeSpan.FromMilliseconds(300) });
        string[] questions = ["What is 47+385?", "What is 3*7+9?", "What is 58-23?", "Is 47+385=432 correct?"];

        async Task<string[]> Answers(OnnxModel model)
        {
            var client = new OnnxChatClient(model);
            var answers = new List<string>();
            foreach (var q in questions)
            {
                // Four particles per question, concurrently: a greedy answer, then each continues its first k characters.
                var full = await client.GetResponseAsync([new ChatMessage(ChatRole.User, q)], new ChatOptions { Temperature = 0 });
                answers.Add(full.Text);
                var rests = await Task.WhenAll(Enumerable.Range(0, 4).Select(k => client.GetResponseAsync(
                    [new ChatMessage(ChatRole.User, q), new ChatMessage(ChatRole.Assistant, full.Text[..Math.Min(k, full.Text.Length)])],
                    ChatContinuation.Continue(new ChatOptions { Temperature = 0 }))));
                answers.AddRange(rests.Select(r => r.Text));
            }

            return [.. answers];
        }

        var cached = await Answers(on);
        Assert.Equal(await Answers(off), cached);
        Assert.Equal("432", cached[0]);
        Assert.True(on.Statistics.PrefixCacheHits >= questions.Length * 3, $"{on.Statistics.PrefixCacheHits} hits");
        Assert.True(on.Statistics.PromptTokensPrefilled * 4 < off.Statistics.PromptTokensPrefilled,
            $"{on.Statistics.PromptTokensPrefilled} prompt tokens prefilled with the cache, {off.Statistics.PromptTokensPrefilled} without");
    }

    public void Dispose() => _temp.Dispose();
}
