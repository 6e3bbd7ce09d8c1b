using Compose.Language;
using Compose.Models;
using Compose.Models.Providers;
using Compose.Runtime;
using Microsoft.Extensions.AI;
using static Compose.Tests.Models.ModelTestKit;

namespace Compose.Tests.Models;

/// <summary>
/// Token log-probabilities as data (<see cref="TokenLogProbabilities"/>): openai against a real HTTP server on
/// 127.0.0.1 (the request fields and the reply's logprobs), scripted rules that script them.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class LogProbabilityTests
{
    private static readonly ChatMessage[] Ask = [new(ChatRole.User, "What is 2+3?")];

    private const string WithLogprobs =
        "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"So 5\"},"
        + "\"logprobs\":{\"content\":["
        + "{\"token\":\"So\",\"logprob\":-0.25,\"bytes\":[83,111],\"top_logprobs\":[{\"token\":\"So\",\"logprob\":-0.25,\"bytes\":[83,111]},{\"token\":\"It\",\"logprob\":-1.5,\"bytes\":[73,116]}]},"
        + "{\"token\":\" 5\",\"logprob\":-0.5,\"bytes\":[32,53],\"top_logprobs\":[{\"token\":\" 5\",\"logprob\":-0.5,\"bytes\":[32,53]},{\"token\":\" 6\",\"logprob\":-1.0,\"bytes\":[32,54]}]}"
        + "]},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}";

    [Fact]
    public async Task Openai_asks_for_logprobs_and_top_logprobs_and_reads_them_from_the_reply()
    {
        await using var server = await FakeOpenAIServer.StartAsync(ServerReply.Raw(200, "application/json", WithLogprobs));
        using var client = new OpenAIModelProvider().Create(ServerSpec(server, "gpt", ("logprobs", "true")), Context(NewKey()));

        var response = await client.GetResponseAsync(Ask, TokenLogProbabilities.Request(new ChatOptions { MaxOutputTokens = 8 }, 2));

        var body = Assert.Single(server.Requests).Body;
        Assert.True(body["logprobs"]!.GetValue<bool>());
        Assert.Equal(2, body["top_logprobs"]!.GetValue<int>());
        var tokens = TokenLogProbabilities.Of(response.AdditionalProperties);
        Assert.Equal(["So", " 5"], tokens.Select(t => t.Token));
        Assert.Equal([-0.25, -0.5], tokens.Select(t => t.LogProbability));
        Assert.Equal([" 5", " 6"], tokens[1].Top.Select(a => a.Token));
        Assert.Equal([-0.5, -1.0], tokens[1].Top.Select(a => a.LogProbability));
        Assert.Equal(-0.75, (double)response.AdditionalProperties![ComposeKeys.LogProbSum]!, 9);
    }

    [Fact]
    public async Task Openai_sends_no_logprobs_fields_unless_asked_and_declares_the_capability_by_option()
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        using var client = new OpenAIModelProvider().Create(ServerSpec(server), Context(NewKey()));
        await client.GetResponseAsync(Ask, new ChatOptions { MaxOutputTokens = 8 });
        var body = Assert.Single(server.Requests).Body;
        Assert.Null(body["logprobs"]);
        Assert.Null(body["top_logprobs"]);

        var provider = new OpenAIModelProvider();
        Assert.Equal(ModelCapabilities.None, provider.Capabilities(ServerSpec(server), Context(NewKey())));
        Assert.Equal(ModelCapabilities.LogProbabilities, provider.Capabilities(ServerSpec(server, "gpt", ("logprobs", "true")), Context(NewKey())));
        var bad = provider.Check(ServerSpec(server, "gpt", ("logprobs", "maybe")), Context(NewKey())).ToList();
        Assert.Equal(OpenAIDiagnosticCodes.InvalidLogProbs, Assert.Single(bad, d => d.IsError).Code);
    }

    [Fact]
    public async Task Scripted_rules_carry_word_log_probabilities_with_simulated_alternatives()
    {
        var yaml = """
            compose: 1
            name: p
            models:
              bot:
                provider: scripted
                rules:
                  - when: "2\\+3"
                    replies: ["So 5"]
                    logprobs: [[-0.1, -0.7]]
            layers:
              - generate: { model: bot }
            """;
        var read = PipelineReader.Read(yaml, "p.yaml");
        Assert.False(read.HasErrors, string.Join("\n", read.Diagnostics));
        var spec = read.Spec!.FindModel("bot")!;
        var provider = new ScriptedModelProvider();
        Assert.Equal(ModelCapabilities.Continuation | ModelCapabilities.LogProbabilities, provider.Capabilities(spec, Context()));
        using var client = provider.Create(spec, Context());

        var plain = await client.GetResponseAsync(Ask);
        Assert.Empty(TokenLogProbabilities.Of(plain.AdditionalProperties));

        var response = await client.GetResponseAsync(Ask, TokenLogProbabilities.Request(new ChatOptions(), 3));
        var tokens = TokenLogProbabilities.Of(response.AdditionalProperties);
        Assert.Equal(["So", " 5"], tokens.Select(t => t.Token));
        Assert.Equal([-0.1, -0.7], tokens.Select(t => t.LogProbability));
        Assert.Equal(3, tokens[1].Top.Length);
        Assert.Equal(Math.Log((1 - Math.Exp(-0.7)) / 2), tokens[1].Top[1].LogProbability, 12);
    }

    [Theory]
    [InlineData("logprobs: 0.5")]
    [InlineData("logprobs: [-0.1, -0.2]")]
    [InlineData("logprobs: [[-0.1, x]]")]
    public void Scripted_logprobs_that_are_not_log_probabilities_are_located_errors(string option)
    {
        var yaml = $$"""
            compose: 1
            models:
              bot:
                provider: scripted
                rules:
                  - when: "x"
                    replies: ["a"]
                    {{option}}
            layers:
              - generate: { model: bot }
            """;
        var read = PipelineReader.Read(yaml, "p.yaml");
        var spec = read.Spec!.FindModel("bot")!;
        var problems = new ScriptedModelProvider().Check(spec, Context()).ToList();
        var error = Assert.Single(problems, d => d.IsError);
        Assert.Equal(ScriptedModelProvider.BadValue, error.Code);
        Assert.Equal(8, error.Location.Line);
        Assert.NotNull(error.Hint);
    }
}
