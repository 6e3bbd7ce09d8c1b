using System.Text;
using Compose.Onnx.TestKit;
using Microsoft.Extensions.AI;

namespace Compose.Onnx.Tests;

public sealed class OnnxChatClientTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly OnnxModel _model;

    public OnnxChatClientTests() => _model = OnnxModel.Load(TinyDecoderWriter.Write(_temp.Sub("m"), new TinyDecoderSpec()));

    private static ChatMessage[] Hello => [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hello!")];

    [Fact]
    public async Task Response_reports_usage_finish_reason_and_logprobs()
    {
        var client = new OnnxChatClient(_model);
        var response = await client.GetResponseAsync(Hello, new ChatOptions { Temperature = 0, MaxOutputTokens = 12 });

        var prompt = _model.Tokenizer.Encode(client.RenderPrompt(Hello));
        Assert.Equal(prompt.Count, response.Usage!.InputTokenCount);
        var logprobs = Assert.IsType<double[]>(response.AdditionalProperties![OnnxChatClient.LogProbsKey]);
        Assert.Equal(response.Usage.OutputTokenCount, logprobs.Length);
        Assert.Equal(logprobs.Sum(), (double)response.AdditionalProperties[OnnxChatClient.LogProbSumKey]!, 9);
        Assert.True(response.FinishReason == ChatFinishReason.Length || response.FinishReason == ChatFinishReason.Stop);
        if (response.FinishReason == ChatFinishReason.Length)
        {
            Assert.Equal(12, response.Usage.OutputTokenCount);
        }
    }

    [Fact]
    public async Task Streaming_yields_the_same_text_incrementally()
    {
        var client = new OnnxChatClient(_model);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 40 };
        var whole = await client.GetResponseAsync(Hello, options);

        var chunks = new List<string>();
        ChatResponseUpdate? last = null;
        await foreach (var update in client.GetStreamingResponseAsync(Hello, options))
        {
            chunks.Add(update.Text);
            last = update;
        }

        Assert.Equal(whole.Text, string.Concat(chunks));
        Assert.True(chunks.Count(c => c.Length > 0) > 1, "text should arrive in several chunks");
        Assert.Equal(whole.FinishReason, last!.FinishReason);
        Assert.Equal(whole.Usage!.OutputTokenCount, last.Contents.OfType<UsageContent>().Single().Details.OutputTokenCount);
    }

    [SkippableFact]
    public async Task Stop_sequence_cuts_the_text_and_stops_generation()
    {
        var client = new OnnxChatClient(_model);
        var free = await client.GetResponseAsync(Hello, new ChatOptions { Temperature = 0, MaxOutputTokens = 40 });
        var text = free.Text;
        Skip.If(text.Length < 6, "the random model produced too little text to pick a stop sequence");
        var stop = text.Substring(3, 2);

        var stopped = await client.GetResponseAsync(Hello, new ChatOptions { Temperature = 0, MaxOutputTokens = 40, StopSequences = [stop] });

        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
        Assert.True(stopped.Usage!.OutputTokenCount < free.Usage!.OutputTokenCount);

        var streamed = new StringBuilder();
        await foreach (var u in client.GetStreamingResponseAsync(Hello, new ChatOptions { Temperature = 0, MaxOutputTokens = 40, StopSequences = [stop] }))
        {
            streamed.Append(u.Text);
        }

        Assert.Equal(stopped.Text, streamed.ToString());
    }

    [Fact]
    public async Task Seed_reproduces_a_sampled_reply()
    {
        var client = new OnnxChatClient(_model);
        ChatOptions Options(long seed) => new() { Temperature = 1.2f, TopP = 0.95f, TopK = 50, Seed = seed, MaxOutputTokens = 16 };

        var a = await client.GetResponseAsync(Hello, Options(7));
        var b = await client.GetResponseAsync(Hello, Options(7));
        var c = await client.GetResponseAsync(Hello, Options(8));

        Assert.Equal(a.Text, b.Text);
        // The second call reuses the first one's prompt from the prefix cache: the same tokens, log-probabilities equal
        // up to float rounding (its last prompt token runs alone instead of in one run with the rest of the prompt).
        Assert.Equal((double)a.AdditionalProperties![OnnxChatClient.LogProbSumKey]!, (double)b.AdditionalProperties![OnnxChatClient.LogProbSumKey]!, 1e-4);
        Assert.NotEqual(a.AdditionalProperties[OnnxChatClient.LogProbsKey], c.AdditionalProperties![OnnxChatClient.LogProbsKey]);
    }

    [Fact]
    public async Task Leaving_a_stream_early_stops_its_generation()
    {
        var client = new OnnxChatClient(_model);
        await foreach (var update in client.GetStreamingResponseAsync(Hello, new ChatOptions { Temperature = 0, MaxOutputTokens = 200 }))
        {
            if (update.Text.Length > 0)
            {
                break;
            }
        }

        // The abandoned sequence left the batch instead of running to 200 tokens.
        var next = await _model.GenerateAsync(new Generation.GenerationRequest { PromptIds = [65, 66], MaxNewTokens = 2 });
        Assert.Equal(2, next.Tokens.Count);
        Assert.True(_model.Statistics.GeneratedTokens < 150, $"{_model.Statistics.GeneratedTokens} tokens were generated");
    }

    [Fact]
    public void Client_exposes_metadata_and_model()
    {
        var client = new OnnxChatClient(_model, modelId: "tiny");
        Assert.Equal("tiny", client.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Same(_model, client.GetService<OnnxModel>());
        Assert.Equal("chatml", client.ChatFormat.Name);
    }

    public void Dispose()
    {
        _model.Dispose();
        _temp.Dispose();
    }
}
