using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Compose.Language;
using Compose.Models;
using Compose.Onnx;
using Compose.Runtime;

namespace Compose.Tools.Arith;

/// <summary>One pipeline's results over the benchmark: accuracy, calls and tokens per question, and pass@k from its samples.</summary>
internal sealed record PipelineScore(string Pipeline, int Questions, double Accuracy, double Calls, double Tokens, ImmutableArray<(int K, double PassAtK)> Coverage, TimeSpan Elapsed, int Failures);

/// <summary>Runs pipelines over benchmark items with the onnx provider and the shipped model as <c>default</c>.</summary>
internal static class Evaluation
{
    public static ModelProviderCatalog Catalog(string modelFolder) =>
        StandardProviders.Catalog.With(new OnnxModelProvider()).WithDefaultModel(new ModelSpec(
            "default",
            "onnx",
            new SpecMapping([new SpecEntry("path", SourceLocation.None, new SpecScalar(Path.GetFullPath(modelFolder), SourceLocation.None))], SourceLocation.None),
            SourceLocation.None));

    public static async Task<PipelineScore> RunAsync(string pipelinePath, ModelProviderCatalog catalog, IReadOnlyList<BenchmarkItem> items, int parallel, CancellationToken ct)
    {
        var (pipeline, diagnostics) = PipelineFactory.Load(pipelinePath, catalog);
        if (pipeline is null)
        {
            throw new InvalidOperationException($"{pipelinePath}: " + string.Join("; ", diagnostics.Where(d => d.IsError).Select(d => d.Message)));
        }

        using var _ = pipeline;
        var results = new ConcurrentDictionary<int, RunResult>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, async (i, token) =>
        {
            var item = items[i];
            results[i] = await pipeline.RunAsync(Question.FromText(item.Prompt, item.Id), new RunOptions { Seed = 1000 + i, QuestionId = item.Id }, token);
        });

        var correct = 0;
        long calls = 0, tokens = 0;
        var failures = 0;
        var samples = new List<(int N, int C)>();
        for (var i = 0; i < items.Count; i++)
        {
            var r = results[i];
            correct += items[i].IsCorrect(r.Answer) ? 1 : 0;
            failures += r.Succeeded ? 0 : 1;
            calls += r.Usage.Calls;
            tokens += r.Usage.TotalTokens;
            var generated = r.AllCandidates.Where(c => c.Model is not null && c.Producer == r.AllCandidates[0].Producer).ToList();
            samples.Add((generated.Count, generated.Count(c => items[i].IsCorrect(c.Text))));
        }

        var n = samples.Min(s => s.N);
        var coverage = ImmutableArray.CreateBuilder<(int, double)>();
        for (var k = 1; k <= n; k *= 2)
        {
            coverage.Add((k, samples.Average(s => PassAtK(s.N, s.C, k))));
        }

        return new PipelineScore(pipelinePath, items.Count, (double)correct / items.Count, (double)calls / items.Count, (double)tokens / items.Count, coverage.ToImmutable(), clock.Elapsed, failures);
    }

    /// <summary>The unbiased estimator 1 - C(n-c, k) / C(n, k) of the chance that k of the n samples include a correct one.</summary>
    public static double PassAtK(int n, int c, int k)
    {
        if (n - c < k)
        {
            return 1;
        }

        var miss = 1.0;
        for (var i = n - c + 1; i <= n; i++)
        {
            miss *= 1 - ((double)k / i);
        }

        return 1 - miss;
    }

    public static string Percent(double v) => (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Number(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
}
