using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Compose.Evaluation.Replay;
using Compose.Models.Providers;
using Microsoft.Extensions.AI;

namespace Compose.Evaluation.Tests;

/// <summary>The scripted and the replay model answer the same reply with the same length, finish reason and usage.</summary>
public sealed class SimulatedClientsTests : IDisposable
{
    private const string Question = "What is 6*7?";
    private const string LongReply = "Six sevens: 7+7+7+7+7+7 = 42. The answer is: 42.";

    private readonly string _dir = Directory.CreateTempSubdirectory("compose-sim-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private IEnumerable<IChatClient> Clients()
    {
        yield return new ScriptedChatClient([new ScriptedRule(new Regex("6\\*7"), [LongReply])], null, TimeSpan.Zero, "m");
        var path = Path.Combine(_dir, "rec.jsonl");
        File.WriteAllText(path, $$"""{"question": "{{Question}}", "model": "m", "samples": ["{{LongReply}}"]}""" + "\n");
        yield return new ReplayChatClient(ReplayRecordings.Load(path, "m"), failOnMissing: true, TimeSpan.Zero, "m");
    }

    public static TheoryData<int?, string, bool> MaxTokenCases() => new()
    {
        { null, LongReply, false },
        { 1000, LongReply, false },
        { 12, LongReply, false },                  // 48 characters: exactly 12 tokens, not cut
        { 11, LongReply[..44], true },
        { 3, LongReply[..12], true },
        { 0, "", true },
        { int.MaxValue, LongReply, false },        // 4 × int.MaxValue characters must not overflow
    };

    [Theory]
    [MemberData(nameof(MaxTokenCases))]
    public async Task Both_clients_honour_max_tokens_and_report_usage_alike(int? maxTokens, string expected, bool cut)
    {
        Assert.Equal(48, LongReply.Length);
        ChatMessage[] messages = [new(ChatRole.System, "Be brief."), new(ChatRole.User, Question)];
        var inputChars = "Be brief.".Length + Question.Length;
        foreach (var client in Clients())
        {
            var response = await client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = maxTokens, Seed = 5 });
            var name = client.GetType().Name;
            Assert.True(expected == response.Text, $"{name}: '{response.Text}'");
            Assert.Equal(cut ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
            Assert.Equal((inputChars + 3) / 4, response.Usage!.InputTokenCount);
            Assert.Equal(Math.Max(1, (expected.Length + 3) / 4), response.Usage.OutputTokenCount);
            Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);
            if (maxTokens is > 0)
            {
                Assert.True(response.Usage.OutputTokenCount <= maxTokens, name);
            }

            // Streaming: the same text word by word, then the same usage and finish reason.
            var updates = new List<ChatResponseUpdate>();
            await foreach (var u in client.GetStreamingResponseAsync(messages, new ChatOptions { MaxOutputTokens = maxTokens, Seed = 5 }))
            {
                updates.Add(u);
            }

            var streamed = updates.ToChatResponse();
            Assert.Equal(expected, streamed.Text);
            Assert.Equal(response.FinishReason, streamed.FinishReason);
            Assert.Equal(response.Usage.TotalTokenCount, streamed.Usage!.TotalTokenCount);
        }
    }

    [Fact]
    public void Both_clients_pick_a_sample_by_the_same_seed_rule()
    {
        ImmutableArray<string> replies = ["a", "b", "c"];
        var path = Path.Combine(_dir, "three.jsonl");
        File.WriteAllText(path, $$"""{"question": "{{Question}}", "model": "m", "samples": ["a", "b", "c"]}""" + "\n");
        var replay = new ReplayChatClient(ReplayRecordings.Load(path, "m"), failOnMissing: true, TimeSpan.Zero, "m");
        var scripted = new ScriptedChatClient([new ScriptedRule(new Regex("6\\*7"), replies)], null, TimeSpan.Zero, "m");
        foreach (var seed in new long[] { 0, 1, 2, 3, 7, -1, long.MinValue, long.MaxValue })
        {
            var expected = replies[(int)((ulong)seed % 3)];
            Assert.Equal(expected, scripted.Answer(Question, seed));
            Assert.Equal(expected, replay.Answer(Question, seed));
        }
    }
}
