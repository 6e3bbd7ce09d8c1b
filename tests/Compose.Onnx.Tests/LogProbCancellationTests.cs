using Compose.Models;
using Compose.Onnx.Generation;
using Compose.Onnx.TestKit;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Onnx.Tests;

/// <summary>Top-k log-probabilities from the logits the runner has, and cancellation that stops decoding at once.</summary>
public sealed class LogProbCancellationTests : IDisposable
{
    private static readonly int[] Prompt = [TinyDecoderWriter.ImStart, 72, 101, 108, 108, 111, 10];
    private readonly TempFolder _temp = new();
    private readonly OnnxModel _model;

    public LogProbCancellationTests() => _model = OnnxModel.Load(TinyDecoderWriter.Write(_temp.Sub("m"), new TinyDecoderSpec()));

    public void Dispose()
    {
        _model.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Top_k_are_the_most_likely_tokens_with_their_log_softmax()
    {
        float[] logits = [1f, 3f, 2f, 3f, -1f];
        var sampler = new TokenSampler(SamplingSettings.Greedy);
        var top = sampler.Top(logits, 3);
        Assert.Equal([1, 3, 2], top.Select(t => t.Id));
        foreach (var t in top)
        {
            Assert.Equal(sampler.LogSoftmaxAt(logits, t.Id), t.LogProb, 5);
        }

        var logSum = Math.Log(new[] { 1.0, 3, 2, 3, -1 }.Sum(Math.Exp));
        Assert.Equal(3 - logSum, top[0].LogProb, 5);
    }

    [Fact]
    public async Task A_reply_reports_each_token_with_its_top_alternatives()
    {
        var client = new OnnxChatClient(_model);
        var options = TokenLogProbabilities.Request(new ChatOptions { Temperature = 0, MaxOutputTokens = 10 }, 3);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello!")], options);
        var tokens = TokenLogProbabilities.Of(response.AdditionalProperties);
        Assert.Equal(response.Usage!.OutputTokenCount, tokens.Length);
        var logprobs = (double[])response.AdditionalProperties![ComposeKeys.LogProbs]!;
        for (var i = 0; i < tokens.Length; i++)
        {
            Assert.Equal(logprobs[i], tokens[i].LogProbability, 9);
            Assert.Equal(3, tokens[i].Top.Length);

            // Greedy: the chosen token is the most likely one.
            Assert.Equal(tokens[i].LogProbability, tokens[i].Top[0].LogProbability, 5);
            Assert.True(tokens[i].Top[0].LogProbability >= tokens[i].Top[1].LogProbability);
        }

        var streamed = new List<TokenLogProbability>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hello!")], options))
        {
            streamed.AddRange(TokenLogProbabilities.Of(update.AdditionalProperties));
        }

        Assert.Equal(tokens.Select(t => t.LogProbability), streamed.Select(t => t.LogProbability));
    }

    [Fact]
    public async Task A_sequence_cancelled_by_its_observer_stops_decoding_at_once()
    {
        // Cancelled while the 5th token is seen: the prefill made token 1, four decode steps tokens 2..5, and no step after.
        using var cts = new CancellationTokenSource();
        _model.Statistics.Reset();
        var seen = 0;
        var request = new GenerationRequest
        {
            PromptIds = Prompt,
            MaxNewTokens = 50,
            StopAtEndOfSequence = false,
            Observer = (_, _) =>
            {
                if (++seen == 5)
                {
                    cts.Cancel();
                }

                return true;
            },
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _model.GenerateAsync(request, cts.Token));
        Assert.Equal(5, seen);
        Assert.Equal(5, _model.Statistics.GeneratedTokens);
        Assert.Equal(5, _model.Statistics.SessionRuns);
    }

    [Fact]
    public async Task A_stream_stopped_part_way_is_billed_for_exactly_the_tokens_generated()
    {
        var client = new OnnxChatClient(_model);
        var budget = new QuestionBudget(new Language.BudgetSpec());
        using var scope = QuestionScope.Enter(new QuestionScope(budget));
        using var metered = new UsageBudgetChatClient(client, "m");
        _model.Statistics.Reset();
        var chunks = 0;
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 60 };
        var messages = new[] { new ChatMessage(ChatRole.User, "Hello!") };
        await foreach (var update in metered.GetStreamingResponseAsync(messages, options))
        {
            if (++chunks == 4)
            {
                break;
            }
        }

        // The tokens the runner generated (also those no one read) are what was billed.
        Assert.Equal(1, budget.Spent.Calls);
        Assert.InRange(budget.Spent.OutputTokens, 4, 60);
        Assert.Equal(_model.Statistics.GeneratedTokens, budget.Spent.OutputTokens);
        Assert.Equal(_model.Tokenizer.Encode(client.RenderPrompt(messages)).Count, budget.Spent.InputTokens);
    }
}
