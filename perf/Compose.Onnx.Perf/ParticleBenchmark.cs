using System.Diagnostics;
using Compose.Compilation;
using Compose.Models;
using Compose.Runtime;
using Compose.Onnx;
using Compose.Onnx.TestKit;
using Microsoft.Extensions.AI;

/// <summary>
/// The <c>particle_filter</c> technique on a local ONNX decoder (written by the TestKit), run with the prefix cache on
/// and off in one process: 8 particles, 8 steps of 16 tokens, each step a continuation call per particle and a one-token
/// yes/no judgement of the prefix by the same model; resampling copies particles, so copies share their whole prompt
/// and every call shares the question.
/// </summary>
internal static class ParticleBenchmark
{
    private const int Particles = 8;
    private const int Steps = 8;
    private const int StepTokens = 16;

    // About 200 tokens with the byte-level tokenizer (one token per character), chat formatting included.
    private const string Question =
        "A ship leaves the harbour at dawn with a crew of twelve, sails north for three days against a steady wind, " +
        "then turns east when the wind drops and reaches an island on the fifth day. How far did it sail, and why?";

    public static async Task RunAsync(int threads)
    {
        var spec = new TinyDecoderSpec { Layers = 4, Heads = 8, HeadSize = 32, MlpSize = 1024, Vocab = 4096, ContextLength = 1024, Seed = 11, PrintableOutput = true };
        var folder = Path.Combine(Path.GetTempPath(), "compose-onnx-particles-" + Environment.ProcessId);
        TinyDecoderWriter.Write(folder, spec);
        try
        {
            // Warm up both (JIT, ONNX Runtime arenas) on a question that shares only the chat markup with the measured ones.
            await RunFilterAsync(folder, true, judged: true, "Warm up: say something about the weather.", 2);
            await RunFilterAsync(folder, false, judged: true, "Warm up: say something about the weather.", 2);

            using var probe = OnnxModel.Load(folder, new OnnxModelOptions { PrefixCacheBytes = 0 });
            var prompt = probe.Tokenizer.Encode(new OnnxChatClient(probe).RenderPrompt([new ChatMessage(ChatRole.User, $"Q0. {Question}")])).Count;
            Console.WriteLine($"Compose.Onnx.Perf particles: tiny llama-layout decoder {spec.Layers} layers, hidden {spec.Hidden}, mlp {spec.MlpSize}, vocab {spec.Vocab}, fp32, " +
                $"byte-level tokenizer (one token per character), printable output; CPU EP, ONNX Runtime's default threads, {Environment.ProcessorCount} cores");
            Console.WriteLine($"the particle_filter technique through a compiled pipeline: {Particles} particles x {Steps} steps x {StepTokens} tokens (step_tokens, temperature 0.8), " +
                $"multinomial resampling; question prompt {prompt} tokens (the step template adds more); each figure the median of 3 questions by wall-time ratio");
            _ = threads;
            foreach (var judged in new[] { false, true })
            {
                var runs = new List<(Figures On, Figures Off)>();
                for (var rep = 0; rep < 3; rep++)
                {
                    // Each repetition asks a different question, so the cache-on run finds nothing of it cached beforehand.
                    var question = $"Q{rep}{(judged ? "j" : "c")}. {Question}";
                    var a = await RunFilterAsync(folder, true, judged, question, Steps);
                    var b = await RunFilterAsync(folder, false, judged, question, Steps);
                    runs.Add((a, b));
                }

                var (c, n) = runs.OrderBy(r => r.On.WallMs / r.Off.WallMs).ElementAt(runs.Count / 2);
                Console.WriteLine();
                Console.WriteLine(judged
                    ? "process reward: P(\"yes\") judged by the same model, one token per judgement (reward: { model: writer, judge: yes_no })"
                    : "process reward: a check, no model call (reward: { check: { has_answer: true } })");
                Console.WriteLine($"{"figure",-44} {"cache on",12} {"cache off",12}");
                Console.WriteLine($"{"model calls (steps + judgements)",-44} {c.Calls,12} {n.Calls,12}");
                Console.WriteLine($"{"prompt tokens prefilled",-44} {c.Prefilled,12} {n.Prefilled,12}");
                Console.WriteLine($"{"prompt tokens reused from the prefix cache",-44} {c.Reused,12} {n.Reused,12}");
                Console.WriteLine($"{"prefix cache hits / misses",-44} {$"{c.Hits} / {c.Misses}",12} {"-",12}");
                Console.WriteLine($"{"generated tokens",-44} {c.Generated,12} {n.Generated,12}");
                Console.WriteLine($"{"prefill tokens per generated token",-44} {c.PrefillPerToken,12:F3} {n.PrefillPerToken,12:F3}");
                Console.WriteLine($"{"wall ms",-44} {c.WallMs,12:F1} {n.WallMs,12:F1}");
                Console.WriteLine($"{"distinct particles drawn per resampling (mean)",-44} {c.Distinct,12:F2} {n.Distinct,12:F2}");
                Console.WriteLine($"{"answers identical on / off",-44} {(c.Final.SequenceEqual(n.Final) ? "yes" : "no"),12}");
                Console.WriteLine($"prefill on/off {(double)c.Prefilled / n.Prefilled:F3} (target <= 0.1); wall-time on/off {c.WallMs / n.WallMs:F3}");
                Console.WriteLine($"all repetitions, prefill on/off and wall on/off: {string.Join("; ", runs.Select(r => $"{(double)r.On.Prefilled / r.Off.Prefilled:F3}, {r.On.WallMs / r.Off.WallMs:F3}"))}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// One question through the real <c>particle_filter</c> technique: a pipeline over the decoder folder, the step model
    /// and the judge (yes/no, P("yes") from log-probabilities) both the decoder, with the prefix cache on or off.
    /// </summary>
    private static async Task<Figures> RunFilterAsync(string folder, bool cache, bool judged, string question, int steps)
    {
        var yaml = $$"""
            compose: 1
            name: particle-bench
            models:
              writer: { provider: onnx, path: ".", prefix_cache_mb: {{(cache ? 256 : 0)}} }
            layers:
              - particle_filter:
                  model: writer
                  reward: {{(judged ? "{ model: writer, judge: yes_no }" : "{ check: { has_answer: true } }")}}
                  particles: {{Particles}}
                  max_steps: {{steps}}
                  step_tokens: {{StepTokens}}
                  temperature: 0.8
            """;
        using var provider = new OnnxModelProvider();
        var catalog = StandardProviders.Catalog.With(provider);
        var context = new ModelProviderContext { BaseDirectory = folder, Catalog = catalog };
        var compiled = PipelineCompiler.CompileText(yaml, Path.Combine(folder, "bench.yaml"), catalog, context);
        if (!compiled.Success)
        {
            throw new InvalidOperationException(string.Join("\n", compiled.Diagnostics));
        }

        var (pipeline, problems) = RunnablePipeline.Build(compiled.Graph!, catalog, context);
        using var run = pipeline ?? throw new InvalidOperationException(string.Join("\n", problems));
        var model = run.Models["writer"].GetService<OnnxModel>()!;
        model.Statistics.Reset();
        var trace = new StepTrace();
        var sw = Stopwatch.StartNew();
        var result = await run.RunAsync(question, new RunOptions { Seed = 1234, Trace = trace });
        sw.Stop();
        if (result.Error is { } error)
        {
            throw new InvalidOperationException(error);
        }

        var stats = model.Statistics;
        var selections = trace.Steps.Where(s => s.Selection is not null).ToList();
        var distinct = selections.Count == 0 ? Particles : selections.Average(s => s.Selection!.Chosen.Distinct().Count());
        return new Figures(stats.PromptTokensPrefilled, stats.PromptTokensReused, stats.PrefixCacheHits, stats.PrefixCacheMisses, stats.GeneratedTokens,
            sw.Elapsed.TotalMilliseconds, distinct, [result.Answer ?? ""], result.Usage.Calls);
    }

    private sealed class StepTrace : ITraceSink
    {
        public System.Collections.Concurrent.ConcurrentQueue<SearchStep> Steps { get; } = new();

        public void Write(TraceEvent traceEvent)
        {
            if (traceEvent is SearchStep step)
            {
                Steps.Enqueue(step);
            }
        }
    }

    private sealed record Figures(long Prefilled, long Reused, long Hits, long Misses, long Generated, double WallMs, double Distinct, string[] Final, int Calls)
    {
        public double PrefillPerToken => (double)Prefilled / Math.Max(1, Generated);
    }
}
