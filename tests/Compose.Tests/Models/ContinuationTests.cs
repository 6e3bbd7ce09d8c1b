using Compose.Language;
using Compose.Models;
using Compose.Models.Providers;
using Microsoft.Extensions.AI;
using static Compose.Tests.Models.ModelTestKit;

namespace Compose.Tests.Models;

/// <summary>
/// Continuing a partial answer (<see cref="ChatContinuation"/>) through each provider: openai against a real HTTP
/// server on 127.0.0.1, scripted by rules that see the partial answer, replay refusing.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ContinuationTests
{
    private static readonly ChatMessage[] Partial = [new(ChatRole.User, "Solve 17 + 25, then times 3."), new(ChatRole.Assistant, "17 + 25 = 42\n\n")];

    private static ChatOptions Continue(params string[] stop) =>
        ChatContinuation.Continue(new ChatOptions { StopSequences = stop.Length == 0 ? null : [.. stop], MaxOutputTokens = 32 });

    private static string Completion(string text, string finish, string? stopReasonJson) =>
        "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
        + text + "\"},\"finish_reason\":\"" + finish + "\"" + (stopReasonJson is null ? "" : ",\"stop_reason\":" + stopReasonJson)
        + "}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}";

    [Fact]
    public async Task Openai_sends_vllms_continuation_fields_and_reports_the_stop_reason()
    {
        await using var server = await FakeOpenAIServer.StartAsync(ServerReply.Raw(200, "application/json", Completion("42 * 3 = 126", "stop", "\"\\n\\n\"")));
        using var client = Provider().Create(ServerSpec(server, "gpt", ("continue_final_message", "true")), Context(NewKey()));

        var response = await client.GetResponseAsync(Partial, Continue("\n\n"));

        Assert.Equal("42 * 3 = 126", response.Text);
        Assert.Equal("\n\n", ChatContinuation.StoppedBy(response));
        var body = Assert.Single(server.Requests).Body;
        Assert.True(body["continue_final_message"]!.GetValue<bool>());
        Assert.False(body["add_generation_prompt"]!.GetValue<bool>());
        var messages = body["messages"]!.AsArray();
        Assert.Equal("assistant", messages[^1]!["role"]!.GetValue<string>());
        Assert.Equal("17 + 25 = 42\n\n", messages[^1]!["content"]!.ToString());
    }

    [Theory]
    [InlineData("null", "")] // vLLM: the model ended its turn
    [InlineData("151645", "")] // vLLM: a stop token id
    [InlineData(null, null)] // a server that does not say
    public async Task Openai_reads_the_end_of_turn_and_leaves_an_unreported_stop_unknown(string? stopReason, string? expected)
    {
        await using var server = await FakeOpenAIServer.StartAsync(ServerReply.Raw(200, "application/json", Completion("Answer: 126", "stop", stopReason)));
        using var client = Provider().Create(ServerSpec(server, "gpt", ("continue_final_message", "true")), Context(NewKey()));

        var response = await client.GetResponseAsync(Partial, Continue("\n\n"));

        Assert.Equal(expected, ChatContinuation.StoppedBy(response));
    }

    [Fact]
    public async Task Openai_without_the_option_refuses_a_continuation_before_sending_it()
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        using var client = Provider().Create(ServerSpec(server), Context(NewKey()));

        var error = await Assert.ThrowsAsync<ModelCallException>(() => client.GetResponseAsync(Partial, Continue()));

        Assert.Contains("cannot continue a partial answer", error.Message, StringComparison.Ordinal);
        Assert.Contains("continue_final_message: true", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Openai_declares_continuation_only_with_the_option()
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        Assert.Equal(ModelCapabilities.None, Provider().Capabilities(ServerSpec(server), Context(NewKey())));
        Assert.Equal(ModelCapabilities.Continuation, Provider().Capabilities(ServerSpec(server, "gpt", ("continue_final_message", "true")), Context(NewKey())));
        var bad = Provider().Check(ServerSpec(server, "gpt", ("continue_final_message", "sometimes")), Context(NewKey())).ToList();
        Assert.Equal(OpenAIDiagnosticCodes.InvalidContinueFinalMessage, Assert.Single(bad, d => d.IsError).Code);
    }

    [Fact]
    public async Task Scripted_rules_see_the_partial_answer_and_stop_sequences_cut_the_reply()
    {
        var yaml = """
            compose: 1
            name: t
            models:
              s:
                provider: scripted
                rules:
                  - { when: "Solve", partial: "^$", reply: "17 + 25 = 42\n\n42 * 3 = 126" }
                  - { when: "Solve", partial: "= 42\\n\\n$", reply: "42 * 3 = 126\n\nAnswer: 126" }
            layers:
              - generate: { model: s }
            """;
        var spec = PipelineReader.Read(yaml, "t.yaml").Spec!.FindModel("s")!;
        using var client = new ScriptedModelProvider().Create(spec, Context());

        var first = await client.GetResponseAsync([Partial[0]], new ChatOptions { StopSequences = ["\n\n"] });
        Assert.Equal("17 + 25 = 42", first.Text);
        Assert.Equal("\n\n", ChatContinuation.StoppedBy(first));

        var next = await client.GetResponseAsync(Partial, Continue("\n\n"));
        Assert.Equal("42 * 3 = 126", next.Text);

        var whole = await client.GetResponseAsync(Partial, Continue());
        Assert.Equal("42 * 3 = 126\n\nAnswer: 126", whole.Text);
        Assert.Equal("", ChatContinuation.StoppedBy(whole)); // the model ended its turn

        var cut = await client.GetResponseAsync(Partial, ChatContinuation.Continue(new ChatOptions { MaxOutputTokens = 2 }));
        Assert.Equal(ChatFinishReason.Length, cut.FinishReason);
        Assert.Null(ChatContinuation.StoppedBy(cut));
        Assert.Equal(ModelCapabilities.Continuation, new ScriptedModelProvider().Capabilities(spec, Context()));
    }

    [Fact]
    public async Task A_continuation_must_end_with_the_assistants_partial_answer()
    {
        using var client = new ScriptedChatClient([], "x", TimeSpan.Zero, "s");
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([Partial[0]], Continue()));
    }
}
