using Compose.Evaluation.Running;
using Compose.Evaluation.Scoring;
using Compose.Runtime;

namespace Compose.Cluster.Tests;

public sealed class InProcessClusterTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static readonly string Pipeline = """
        compose: 1
        name: vote-5
        models:
          m: { provider: scripted, reply: "placeholder" }
        defaults: { model: m, temperature: 0.8 }
        layers:
          - generate: { samples: 5 }
          - vote: { tie_break: first }
        output: first
        """;

    private static string Write(string name, string text)
    {
        var path = Path.Combine(ClusterFixture.Folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Benchmark(int items)
    {
        var lines = Enumerable.Range(1, items).Select(i => $$"""{"id": "q{{i}}", "prompt": "What is item {{i}}?", "reference": "2"}""");
        return Write($"bench-{items}.jsonl", string.Join('\n', lines) + "\n");
    }

    [Fact]
    public async Task Evaluation_on_three_silos_equals_the_single_process_evaluation_for_the_same_seed()
    {
        var pipelinePath = Write("vote.yaml", Pipeline);
        var benchmark = Benchmark(60);

        // Single process: the pipeline with the same models file, built here.
        var (local, diagnostics) = PipelineFactory.Build(pipelinePath, StandardProviders.Catalog, models: ClusterFixture.Models);
        Assert.True(local is not null, string.Join("\n", diagnostics));
        EvalReport single;
        using (local)
        {
            single = await Evaluator.RunAsync(local!, benchmark, new NumberScorer(), new EvalOptions { Seed = 7, Concurrency = 8 });
        }

        // The cluster: items spread over three silos; only the first hosts m, the others call it there.
        var job = ClusterEvaluation.Job(Pipeline, pipelinePath, File.ReadAllText(ClusterFixture.ModelsPath), ClusterFixture.ModelsPath, "number", null, 60, seed: 7);
        var silos = await fixture.Client.SilosAsync();
        Assert.Equal(3, silos.Count);
        Assert.DoesNotContain(ClusterEvaluation.Check(job, StandardProviders.Catalog, silos), d => d.IsError);
        using var dispatcher = new ClusterDispatcher(fixture.Client.Client);
        var clustered = await Evaluator.RunAsync("vote-5", ClusterEvaluation.Evaluate(dispatcher, job), benchmark, new EvalOptions { Seed = 7, Concurrency = 12 });

        Assert.Equal(60, clustered.Items.Length);
        Assert.Equal(single.Items.Select(i => (i.Id, i.Answer, i.Correct, i.Extracted, i.Calls, i.Samples, i.SamplesCorrect)),
            clustered.Items.Select(i => (i.Id, i.Answer, i.Correct, i.Extracted, i.Calls, i.Samples, i.SamplesCorrect)));
        Assert.InRange(single.Accuracy.Value, 0.05, 0.95); // the seeds matter: not every item has the same answer
        Assert.Equal(3, dispatcher.AnsweredBySilo.Count); // every silo answered items
        Assert.All(dispatcher.AnsweredBySilo.Values, n => Assert.InRange(n, 5, 50));
    }

    [Fact]
    public async Task Model_grains_are_placed_on_the_silo_that_hosts_the_model()
    {
        var pipelinePath = Write("vote-placement.yaml", Pipeline.Replace("vote-5", "vote-placement", StringComparison.Ordinal));
        var benchmark = Benchmark(24);
        var before = (await fixture.Client.SilosAsync()).ToDictionary(s => s.Name, s => s.Calls);
        var job = ClusterEvaluation.Job(File.ReadAllText(pipelinePath), pipelinePath, File.ReadAllText(ClusterFixture.ModelsPath), ClusterFixture.ModelsPath, "number", null, 60, seed: 3);
        using var dispatcher = new ClusterDispatcher(fixture.Client.Client);
        var report = await Evaluator.RunAsync("vote-placement", ClusterEvaluation.Evaluate(dispatcher, job), benchmark, new EvalOptions { Seed = 3, Concurrency = 9 });

        var after = (await fixture.Client.SilosAsync()).ToDictionary(s => s.Name, s => s);
        var made = after.ToDictionary(s => s.Key, s => s.Value.Calls - before[s.Key]);
        Assert.Equal(report.Calls, made[ClusterFixture.HostingSilo]); // every call ran where m is hosted
        Assert.All(made.Where(s => s.Key != ClusterFixture.HostingSilo), s => Assert.Equal(0, s.Value));
        Assert.True(dispatcher.AnsweredBySilo.Count >= 2, "items ran on silos that do not host the model");
        Assert.Single(after.Values, s => s.Models.Count == 1);
        Assert.Equal(ModelIdentity.Of(ClusterFixture.Models[0]), after[ClusterFixture.HostingSilo].Models.Keys.Single());
    }
}
