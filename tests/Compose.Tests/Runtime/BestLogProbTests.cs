using Compose.Language;
using Compose.Runtime;
using Microsoft.Extensions.AI;

namespace Compose.Tests.Runtime;

/// <summary><c>output: best_logprob</c>: the survivor the model found most likely, with no model call.</summary>
public sealed class BestLogProbTests
{
    private static Candidate C(string text, double? logprob) =>
        new() { Id = text, Text = text, Producer = "g0", LogProbability = logprob };

    [Fact]
    public void Picks_the_highest_log_probability_and_the_earliest_among_ties()
    {
        var output = new OutputSpec(SelectionKind.BestLogProb, null, TieBreak.First, SourceLocation.None);
        Assert.Equal("b", Selection.Select(output, [C("a", -3.5), C("b", -0.25), C("c", null), C("d", -0.25)])!.Text);
        Assert.Equal("x", Selection.Select(output, [C("x", null), C("y", null)])!.Text);
        Assert.Equal("y", Selection.Select(output, [C("x", null), C("y", -40)])!.Text);
    }

    [Theory]
    [InlineData("output: best_logprob")]
    [InlineData("output: { select: best_logprob }")]
    public void Reads_both_spellings(string output)
    {
        var read = PipelineReader.Read($"compose: 1\nname: p\nlayers:\n  - generate: {{ samples: 4 }}\n{output}\n", "p.yaml");
        Assert.DoesNotContain(read.Diagnostics, d => d.IsError);
        Assert.Equal(SelectionKind.BestLogProb, read.Spec!.Output.Kind);
    }

    [Fact]
    public void Vote_options_under_best_logprob_are_reported_as_unused()
    {
        var read = PipelineReader.Read("compose: 1\nname: p\nlayers:\n  - generate: { samples: 4 }\noutput: { select: best_logprob, extract: '(\\d+)' }\n", "p.yaml");
        Assert.Contains(read.Diagnostics, d => d.Code == DiagnosticCodes.UnusedOption);
    }

    [Fact]
    public async Task A_pipeline_returns_the_sample_with_the_highest_reported_log_probability()
    {
        // Sample i answers "answer i" with log-probability -|i - 5|: sample 5 is the model's most likely text.
        var samples = 0;
        var model = new LogProbModel(_ =>
        {
            var i = Interlocked.Increment(ref samples) - 1;
            return ($"answer {i}", -Math.Abs(i - 5));
        });
        using var pipeline = PipelineHarness.Build("""
            compose: 1
            name: best-logprob
            models:
              m: { provider: instance }
            defaults: { model: m }
            layers:
              - generate: { samples: 8 }
            output: best_logprob
            """, new Dictionary<string, IChatClient> { ["m"] = model });

        var result = await pipeline.RunAsync("q");

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("answer 5", result.Answer);
        Assert.Equal(0, result.AnswerCandidate!.LogProbability);
        Assert.Equal(8, result.Usage.Calls);
    }

    [Fact]
    public async Task The_arith_verify_prompt_renders_the_trained_question_form()
    {
        var prompts = new List<string>();
        var model = new LogProbModel(p =>
        {
            lock (prompts)
            {
                prompts.Add(p);
            }

            return (p.StartsWith("Is ", StringComparison.Ordinal) ? "yes" : "432", -1);
        });
        var yaml = File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "pipelines", "arith-verify.yaml"))
            .Replace("model: default", "model: m", StringComparison.Ordinal)
            .Replace("defaults:", "models:\n  m: { provider: instance }\ndefaults:", StringComparison.Ordinal);
        using var pipeline = PipelineHarness.Build(yaml, new Dictionary<string, IChatClient> { ["m"] = model });

        var result = await pipeline.RunAsync("What is 47+385?");

        Assert.Equal("432", result.Answer);
        Assert.Equal(16, prompts.Count(p => p == "What is 47+385?"));
        Assert.Equal(16, prompts.Count(p => p == "Is 47+385=432 correct?"));
    }

    /// <summary>Answers with a text and reports its summed log-probability the way the onnx provider does.</summary>
    private sealed class LogProbModel(Func<string, (string Text, double LogProb)> answer) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var (text, logprob) = answer(messages.Last(m => m.Role == ChatRole.User).Text);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
            {
                Usage = new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 },
                AdditionalProperties = new AdditionalPropertiesDictionary { ["logprob_sum"] = logprob },
            });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
