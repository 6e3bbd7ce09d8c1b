using System.Text.Json;
using Compose.Evaluation.Caching;
using Compose.Evaluation.Replay;
using Compose.Evaluation.Running;
using Compose.Evaluation.Scoring;
using Compose.Models;
using Compose.Runtime;

namespace Compose.Evaluation.Tests;

public sealed class ReplayAndCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("compose-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ModelProviderCatalog Catalog => StandardProviders.Catalog.With(new ReplayModelProvider());

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private (string Pipeline, string Benchmark) Setup()
    {
        Write("rec.jsonl", """
            {"question": "What is 2+2?", "m": {"solution": "2+2=4\nA: 4"}}
            {"question": "What is 3+3?", "m": ["3+3=6\nA: 6", "A: 7"]}
            {"question": "What is 5+5?", "model": "m", "samples": ["#### 10"]}
            """);
        var bench = Write("bench.jsonl", """
            {"id": "a", "prompt": "What is 2+2?", "reference": "4"}
            {"id": "b", "prompt": "What is   3+3?", "reference": "6"}
            {"id": "c", "question": "What is 5+5?", "answer": "#### 10"}
            """);
        var pipeline = Write("p.yaml", """
            compose: 1
            name: replayed
            models:
              m: { provider: replay, path: rec.jsonl, model: m }
            defaults: { model: m }
            layers:
              - generate: { samples: 3 }
              - vote: {}
            output: first
            """);
        return (pipeline, bench);
    }

    [Fact]
    public async Task Replay_answers_from_recordings_and_picks_samples_by_seed()
    {
        var (pipeline, bench) = Setup();
        var (p, diagnostics) = PipelineFactory.Build(pipeline, Catalog);
        Assert.True(p is not null, string.Join("\n", diagnostics));
        using (p)
        {
            var report = await Evaluator.RunAsync(p, bench, new MathAnswerScorer(), new EvalOptions { Seed = 1 });
            Assert.Equal(3, report.Items.Length);
            Assert.Equal(9, report.Calls);
            Assert.True(report.Items.Single(i => i.Id == "a").Correct);
            Assert.True(report.Items.Single(i => i.Id == "c").Correct);
            Assert.True(report.Items.Single(i => i.Id == "b").Covered);

            // pass@k counts the three first drafts per item (the vote layer passes them on, not new ones)
            Assert.All(report.Items, i => Assert.Equal(3, i.Samples));
            Assert.Equal(3, report.Items.Single(i => i.Id == "a").SamplesCorrect);
            Assert.Equal(3, report.Items.Single(i => i.Id == "c").SamplesCorrect);
            // Item b's three drafts each pick one of its two recorded samples by seed (seed mod 2; sample 0 is
            // right): with run seed 1 exactly one of them is right, as the seeds themselves say.
            Assert.Equal(1, Enumerable.Range(0, 3).Count(i => SeedDerivation.Derive(1, "What is   3+3?", "L1.generate", i) % 2 == 0));
            Assert.Equal(1, report.Items.Single(i => i.Id == "b").SamplesCorrect);
            Assert.Equal([1, 2, 3], report.PassAtK.Select(c => c.K));
            Assert.Equal(7.0 / 9, report.PassAtK[0].Value, 9); // pass@1 = mean of right/drafts = (3/3 + 1/3 + 3/3) / 3
            Assert.Equal(1, report.PassAtK[2].Value, 9);
        }

        var client = (ReplayChatClient)new ReplayModelProvider().Create(
            Compose.Language.PipelineReader.Read(File.ReadAllText(pipeline), pipeline).Spec!.Models[0],
            new ModelProviderContext { BaseDirectory = _dir, Catalog = Catalog });
        Assert.Equal("3+3=6\nA: 6", client.Answer("What is 3+3?", 0));
        Assert.Equal("A: 7", client.Answer("What is 3+3?", 1));
        Assert.Equal("A: 7", client.Answer("You have been given responses...\n\nQuestion: What is 3+3?", 3));
        Assert.Null(client.Answer("What is 9+9?", 0));
    }

    [Fact]
    public void Replay_model_not_in_the_file_is_a_located_diagnostic()
    {
        Setup();
        var pipeline = Write("bad.yaml", "compose: 1\nname: bad\nmodels:\n  m: { provider: replay, path: rec.jsonl, model: nobody }\nlayers:\n  - generate: { model: m }\n");
        var (p, diagnostics) = PipelineFactory.Build(pipeline, Catalog);
        Assert.Null(p);
        var d = Assert.Single(diagnostics, d => d.IsError);
        Assert.Equal(EvaluationDiagnosticCodes.ReplayUnknownModel, d.Code);
        Assert.Equal(4, d.Location.Line);
        Assert.Contains("m", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Second_evaluation_through_the_cache_makes_zero_model_calls()
    {
        var (pipeline, bench) = Setup();
        var cachePath = Path.Combine(_dir, "cache.db");
        async Task<(EvalReport Report, ResponseCache Cache)> Once()
        {
            var cache = ResponseCache.Open(cachePath);
            var (p, _) = PipelineFactory.Build(pipeline, Catalog, cache.Apply());
            using (p!)
            {
                return (await Evaluator.RunAsync(p!, bench, new MathAnswerScorer(), new EvalOptions { Seed = 5 }), cache);
            }
        }

        var (first, c1) = await Once();
        var (second, c2) = await Once();
        Assert.Equal(9, first.Calls);
        Assert.Equal(9, c1.Misses);
        Assert.Equal(0, second.Calls);
        Assert.Equal(0, second.Tokens);
        Assert.Equal(9, c2.Requests);
        Assert.Equal(0, c2.Misses);
        Assert.Equal(first.Items.Select(i => i.Answer), second.Items.Select(i => i.Answer));
        Assert.Equal(9, new SqliteDistributedCache(cachePath).Count());

        // Another seed is another call: not served from the cache.
        var cache3 = ResponseCache.Open(cachePath);
        var (p3, _) = PipelineFactory.Build(pipeline, Catalog, cache3.Apply());
        using (p3!)
        {
            var third = await Evaluator.RunAsync(p3!, bench, new MathAnswerScorer(), new EvalOptions { Seed = 6 });
            Assert.Equal(9, third.Calls);
        }
    }

    [Fact]
    public async Task Cache_keys_include_the_model()
    {
        Setup();
        var pipeline = Write("two.yaml", """
            compose: 1
            name: two
            models:
              a: { provider: scripted, rules: [ { when: ".", reply: "A: 1" } ] }
              b: { provider: scripted, rules: [ { when: ".", reply: "A: 2" } ] }
            layers:
              - generate: { models: [a, b], samples: 1 }
            output: first
            """);
        var cache = ResponseCache.Open(Path.Combine(_dir, "c2.db"));
        var (p, _) = PipelineFactory.Build(pipeline, Catalog, cache.Apply());
        using (p!)
        {
            var r = await p!.RunAsync("same question", new RunOptions { Seed = 0 });
            Assert.Equal(["A: 1", "A: 2"], r.AllCandidates.Select(c => c.Text));
            Assert.Equal(2, cache.Misses);
        }
    }

    [Fact]
    public async Task Interrupted_evaluation_resumes_from_its_results_file()
    {
        var (pipeline, bench) = Setup();
        var results = Path.Combine(_dir, "out", "r.jsonl");
        var (p, _) = PipelineFactory.Build(pipeline, Catalog);
        using (p!)
        {
            var partial = await Evaluator.RunAsync(p!, bench, new MathAnswerScorer(), new EvalOptions { Limit = 2, ResultsPath = results, Fingerprint = "x", Concurrency = 1 });
            Assert.Equal(2, partial.Items.Length);
            File.AppendAllText(results, "{\"id\": \"c\", \"corr");
            var full = await Evaluator.RunAsync(p!, bench, new MathAnswerScorer(), new EvalOptions { ResultsPath = results, Fingerprint = "x" });
            Assert.Equal(2, full.Resumed);
            Assert.Equal(["a", "b", "c"], full.Items.Select(i => i.Id));
            Assert.Equal(4, File.ReadAllLines(results).Length);
            Assert.All(File.ReadAllLines(results), l => JsonDocument.Parse(l).Dispose());
            var ex = await Assert.ThrowsAsync<Compose.Language.DiagnosticException>(() => Evaluator.RunAsync(p!, bench, new MathAnswerScorer(), new EvalOptions { ResultsPath = results, Fingerprint = "other" }));
            Assert.Equal(EvaluationDiagnosticCodes.ResultsMismatch, ex.Diagnostics[0].Code);
        }
    }

    [Fact]
    public async Task A_scorer_that_throws_is_that_item_s_result_and_the_evaluation_goes_on()
    {
        var (pipeline, bench) = Setup();
        var results = Path.Combine(_dir, "out", "thrown.jsonl");
        var (p, _) = PipelineFactory.Build(pipeline, Catalog);
        using (p!)
        {
            var report = await Evaluator.RunAsync(p!, bench, new ThrowingScorer("b"), new EvalOptions { ResultsPath = results, Fingerprint = "t", Concurrency = 1 });
            Assert.Equal(["a", "b", "c"], report.Items.Select(i => i.Id));
            Assert.Equal(1, report.ScoreErrors);
            var b = report.Items.Single(i => i.Id == "b");
            Assert.False(b.Correct);
            Assert.Contains("the boom scorer failed: scorer exploded on b", b.ScoreError, StringComparison.Ordinal);
            Assert.Contains("scorer exploded on b", File.ReadAllText(results), StringComparison.Ordinal);
            Assert.True(report.Items.Single(i => i.Id == "a").Correct);
        }
    }

    private sealed class ThrowingScorer(string badId) : Scoring.IScorer
    {
        public string Name => "boom";

        public bool CallsNoModel => true;

        public ValueTask<Scoring.Score> ScoreAsync(Benchmarks.BenchmarkItem item, string? answer, CancellationToken cancellationToken = default) =>
            item.Id == badId ? throw new InvalidOperationException($"scorer exploded on {item.Id}") : ValueTask.FromResult(Scoring.Score.Of(true, answer));
    }

    [Fact]
    public async Task Benchmark_errors_are_located()
    {
        var bench = Write("bad.jsonl", "{\"id\": \"1\", \"prompt\": \"x\", \"reference\": \"1\"}\n{\"id\": \"2\"}\n");
        var ex = await Assert.ThrowsAsync<Compose.Language.DiagnosticException>(async () =>
        {
            await foreach (var _ in Benchmarks.BenchmarkReader.ReadAsync(bench))
            {
            }
        });
        Assert.Equal(EvaluationDiagnosticCodes.BenchmarkMissingField, ex.Diagnostics[0].Code);
        Assert.Equal(2, ex.Diagnostics[0].Location.Line);
    }

    [SkippableFact]
    public async Task Gsm8k_math_scorer_agrees_with_the_recorded_correctness_labels()
    {
        var solutions = Shared.Gsm8k("example_model_solutions.jsonl");
        Shared.Require(solutions);
        var references = File.ReadLines(Shared.Gsm8k("test.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("answer").GetString()!).ToList();
        var scorer = new MathAnswerScorer();
        var line = 0;
        var disagreements = 0;
        foreach (var text in File.ReadLines(solutions))
        {
            var row = JsonDocument.Parse(text).RootElement;
            var item = new Benchmarks.BenchmarkItem(line.ToString(System.Globalization.CultureInfo.InvariantCulture), "q", [], [references[line]], null);
            foreach (var model in new[] { "6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification" })
            {
                var s = await scorer.ScoreAsync(item, row.GetProperty(model).GetProperty("solution").GetString());
                disagreements += s.Correct == row.GetProperty(model).GetProperty("is_correct").GetBoolean() ? 0 : 1;
            }

            line++;
        }

        Assert.Equal(1319, line);
        Assert.Equal(0, disagreements);
    }
}
