using System.Text;
using Compose.Models;
using Compose.Onnx.Chat;
using Compose.Onnx.TestKit;
using Microsoft.Extensions.AI;

namespace Compose.Onnx.Tests;

/// <summary>Continuing a partial answer (<see cref="ChatContinuation"/>) and saying why a reply ended.</summary>
public sealed class ContinuationTests : IDisposable
{
    private const string Partial = "Step 1: 2+2 is 4. \n";
    private static readonly ChatMessage[] Question = [new(ChatRole.System, "S"), new(ChatRole.User, "U")];
    private readonly TempFolder _temp = new();

    private static ChatMessage[] WithPartial(string partial) => [.. Question, new(ChatRole.Assistant, partial)];

    private static ChatOptions Continue(ChatOptions? options = null) => ChatContinuation.Continue(options ?? new ChatOptions());

    [Theory]
    [InlineData("chatml", "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n")]
    [InlineData("llama3", "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")]
    [InlineData("phi3", "<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\n")]
    [InlineData("mistral", "<s>[INST] S\n\nU [/INST]")]
    [InlineData("plain", "system: S\nuser: U\nassistant:")]
    public void A_continuation_opens_the_assistant_turn_and_writes_the_partial_answer_verbatim(string format, string opened)
    {
        var chat = ChatFormat.Find(format)!;
        Assert.Equal(opened, chat.Render(Question));
        Assert.Equal(opened + Partial, chat.RenderContinuation(Question, Partial));

        using var model = OnnxModel.Load(TinyDecoderWriter.Write(_temp.Sub(format), new TinyDecoderSpec()));
        var client = new OnnxChatClient(model, chat);
        Assert.Equal(opened + Partial, client.RenderPrompt(WithPartial(Partial), Continue()));

        // Without the flag a trailing assistant message is a closed turn, as before.
        Assert.Equal(chat.Render(WithPartial(Partial)), client.RenderPrompt(WithPartial(Partial), new ChatOptions()));
        Assert.NotEqual(opened + Partial, client.RenderPrompt(WithPartial(Partial)));
    }

    [Fact]
    public async Task A_continuation_must_end_with_an_assistant_message()
    {
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(_temp.Sub("m"), new TinyDecoderSpec()));
        var client = new OnnxChatClient(model);
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync(Question, Continue(new ChatOptions { MaxOutputTokens = 2 })));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Greedy_continuation_of_a_partial_answer_equals_the_rest_of_the_full_answer(bool prefixCache)
    {
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(_temp.Sub("m"), new TinyDecoderSpec { PrintableOutput = true, MlpSize = 32 }),
            new OnnxModelOptions { PrefixCacheBytes = prefixCache ? OnnxModelOptions.DefaultPrefixCacheBytes : 0 });
        var client = new OnnxChatClient(model);
        const int N = 40;
        var full = await client.GetResponseAsync(Question, new ChatOptions { Temperature = 0, MaxOutputTokens = N });
        var answer = full.Text;
        Assert.Equal(N, answer.Length); // printable ASCII: one character per token
        Assert.Null(ChatContinuation.StoppedBy(full));

        foreach (var k in new[] { 1, 7, 20, 39 })
        {
            var partial = answer[..k];
            var prompt = model.Tokenizer.Encode(client.RenderPrompt(WithPartial(partial), Continue()));
            Assert.Equal([.. model.Tokenizer.Encode(client.RenderPrompt(Question)), .. model.Tokenizer.Encode(partial)], prompt);

            var rest = await client.GetResponseAsync(WithPartial(partial), Continue(new ChatOptions { Temperature = 0, MaxOutputTokens = N - k }));
            Assert.Equal(answer[k..], rest.Text);
            Assert.Equal(prompt.Count, rest.Usage!.InputTokenCount);

            var streamed = new StringBuilder();
            await foreach (var u in client.GetStreamingResponseAsync(WithPartial(partial), Continue(new ChatOptions { Temperature = 0, MaxOutputTokens = N - k })))
            {
                streamed.Append(u.Text);
            }

            Assert.Equal(answer[k..], streamed.ToString());
        }

        if (prefixCache)
        {
            Assert.True(model.Statistics.PromptTokensReused > 0);
        }
        else
        {
            Assert.Equal(0, model.Statistics.PromptTokensReused);
        }
    }

    [SkippableFact]
    public async Task The_arith_model_continues_its_own_answer()
    {
        var folder = Path.Combine(SharedModels.RepoRoot()!, "models", "arith");
        Skip.IfNot(File.Exists(Path.Combine(folder, "model.onnx")), "models/arith is not in this checkout");
        using var model = OnnxModel.Load(folder);
        var client = new OnnxChatClient(model);
        ChatMessage[] question = [new(ChatRole.User, "What is 47+385?")];
        var full = await client.GetResponseAsync(question, new ChatOptions { Temperature = 0 });
        Assert.Equal("432", full.Text);
        Assert.Equal("", ChatContinuation.StoppedBy(full)); // <|im_end|>: the model ended its turn

        for (var k = 1; k < full.Text.Length; k++)
        {
            var rest = await client.GetResponseAsync([.. question, new(ChatRole.Assistant, full.Text[..k])], Continue(new ChatOptions { Temperature = 0 }));
            Assert.Equal(full.Text[k..], rest.Text);
            Assert.Equal("", ChatContinuation.StoppedBy(rest));
        }
    }

    [Fact]
    public async Task Stopped_by_names_the_stop_sequence_or_is_empty_at_end_of_turn_and_absent_at_the_limit()
    {
        using var model = OnnxModel.Load(TinyDecoderWriter.Write(_temp.Sub("m"), new TinyDecoderSpec { PrintableOutput = true }));
        var client = new OnnxChatClient(model);
        var free = await client.GetResponseAsync(Question, new ChatOptions { Temperature = 0, MaxOutputTokens = 30 });
        Assert.Equal(ChatFinishReason.Length, free.FinishReason);
        Assert.False(free.AdditionalProperties!.ContainsKey(ChatContinuation.StoppedByKey));

        var text = free.Text;
        var stop = text.Substring(10, 2);
        var never = "\u0001never";
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 30, StopSequences = [never, stop] };
        var stopped = await client.GetResponseAsync(Question, options);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        Assert.Equal(stop, ChatContinuation.StoppedBy(stopped));

        ChatResponseUpdate? last = null;
        await foreach (var u in client.GetStreamingResponseAsync(Question, options))
        {
            last = u;
        }

        Assert.Equal(stop, last!.AdditionalProperties![ChatContinuation.StoppedByKey]);

        // A continuation too: the stop sequence is searched in the new text only.
        var partial = text[..3];
        var rest = await client.GetResponseAsync(WithPartial(partial), Continue(new ChatOptions { Temperature = 0, MaxOutputTokens = 30, StopSequences = [stop] }));
        Assert.Equal(text[3..text.IndexOf(stop, 3, StringComparison.Ordinal)], rest.Text);
        Assert.Equal(stop, ChatContinuation.StoppedBy(rest));
    }

    public void Dispose() => _temp.Dispose();
}
