using Compose.Models;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Runtime;

public sealed class PipelineAsModelTests
{
    private static string Scripted(string reply) => $$"""
        models:
          bot: { provider: scripted, rules: [ { when: "^Rank", reply: "[2] > [1]" } ], default: "{{reply}}" }
        defaults: { model: bot }
        """;

    [Fact]
    public async Task A_compiled_pipeline_is_a_chat_client_reporting_usage()
    {
        using var pipeline = PipelineHarness.Build("compose: 1\nname: inner\n" + Scripted("The answer is 4.") + "\nlayers:\n  - generate: { samples: 3 }\n  - vote: {}\n");
        IChatClient client = pipeline;
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "What is 2+2?")], new ChatOptions { Seed = 5 });
        Assert.Equal("The answer is 4.", response.Text);
        Assert.True(response.Usage!.InputTokenCount > 0);
        Assert.Equal(3, response.AdditionalProperties!["compose.calls"]);
    }

    [Fact]
    public async Task A_pipeline_file_can_be_a_model_in_another_and_its_calls_count_in_the_outer_budget()
    {
        var dir = Directory.CreateTempSubdirectory("compose-nest-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "inner.yaml"), "compose: 1\nname: inner\n" + Scripted("The answer is 4.") + "\nlayers:\n  - generate: { samples: 3 }\n  - vote: {}\n");
            var outer = """
                compose: 1
                name: outer
                models:
                  voter: { provider: pipeline, path: inner.yaml }
                  judge: { provider: scripted, default: "[2] > [1]" }
                layers:
                  - generate: { model: voter, samples: 2 }
                  - rank: { model: judge, keep: 1 }
                """;
            using var pipeline = PipelineHarness.Build(outer, directory: dir.FullName);
            var result = await pipeline.RunAsync("What is 2+2?");
            Assert.True(result.Succeeded, result.Error);
            Assert.Equal("The answer is 4.", result.Answer);

            var limited = await pipeline.RunAsync(Compose.Runtime.Question.FromText("What is 2+2?"), new RunOptions { Budget = new Compose.Language.BudgetSpec { MaxCalls = 4 } });
            Assert.True(limited.BudgetExhausted);
            Assert.True(limited.Usage.Calls <= 4, $"{limited.Usage.Calls} calls");
            Assert.Equal((2 * 3) + 1, result.Usage.Calls); // the inner pipelines' calls + rank; a pipeline model is not itself a call
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public async Task A_pipeline_that_uses_itself_is_reported_as_a_cycle()
    {
        var dir = Directory.CreateTempSubdirectory("compose-cycle-");
        try
        {
            var path = Path.Combine(dir.FullName, "self.yaml");
            await File.WriteAllTextAsync(path, "compose: 1\nname: self\nmodels:\n  me: { provider: pipeline, path: self.yaml }\nlayers:\n  - generate: { model: me }\n");
            var (pipeline, diagnostics) = PipelineFactory.Build(path, StandardProviders.Catalog);
            Assert.Null(pipeline);
            var d = Assert.Single(diagnostics, d => d.Code == RuntimeDiagnosticCodes.PipelineCycle);
            Assert.Equal(4, d.Location.Line);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
