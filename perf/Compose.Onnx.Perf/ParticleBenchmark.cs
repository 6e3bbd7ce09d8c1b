using System.Diagnostics;
using Compose.Models;
using Compose.Onnx;
using Compose.Onnx.TestKit;
using Microsoft.Extensions.AI;

/// <summary>
/// A particle-filtering-shaped workload through <see cref="OnnxChatClient"/> with continuation requests, run with the
/// prefix cache on and off in one process: 8 particles, 8 steps; each step one continuation call per particle (16
/// tokens, temperature 0.8, a seed per particle and step), all particles at once; between steps a multinomial
/// resampling (fixed-seed <see cref="Random"/>, weights a softmax of each step's mean token log-probability) that
/// copies particles, so copies share their whole prompt and every particle shares the question.
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
        var spec = new TinyDecoderSpec { Layers = 4, Heads = 8, HeadSize = 32, MlpSize = 1024, Vocab = 4096, ContextLength = 512, Seed = 11, PrintableOutput = true };
        var folder = Path.Combine(Path.GetTempPath(), "compose-onnx-particles-" + Environment.ProcessId);
        TinyDecoderWriter.Write(folder, spec);
        try
        {
            using var on = OnnxModel.Load(folder, new OnnxModelOptions { IntraOpThreads = threads });
            using var off = OnnxModel.Load(folder, new OnnxModelOptions { IntraOpThreads = threads, PrefixCacheBytes = 0 });

            // Warm up both (JIT, ONNX Runtime arenas) on a question that shares only the chat markup with the measured ones.
            await RunFilterAsync(on, "Warm up: say something about the weather.", 2);
            await RunFilterAsync(off, "Warm up: say something about the weather.", 2);

            var runs = new List<(Figures On, Figures Off)>();
            for (var rep = 0; rep < 3; rep++)
            {
                // Each repetition asks a different question, so the cache-on run finds nothing of it cached beforehand.
                var question = $"Q{rep}. {Question}";
                var a = await RunFilterAsync(on, question, Steps);
                var b = await RunFilterAsync(off, question, Steps);
                runs.Add((a, b));
            }

            var prompt = on.Tokenizer.Encode(new OnnxChatClient(on).RenderPrompt([new ChatMessage(ChatRole.User, $"Q0. {Question}")])).Count;
            var median = runs.OrderBy(r => r.On.WallMs / r.Off.WallMs).ElementAt(runs.Count / 2);
            var (c, n) = median;
            Console.WriteLine($"Compose.Onnx.Perf particles: tiny llama-layout decoder {spec.Layers} layers, hidden {spec.Hidden}, mlp {spec.MlpSize}, vocab {spec.Vocab}, fp32, printable output; " +
                $"CPU EP, intra-op threads {threads}, {Environment.ProcessorCount} cores");
            Console.WriteLine($"particle filter: {Particles} particles x {Steps} steps x {StepTokens} tokens (temperature 0.8, seed per particle and step), " +
                $"multinomial resampling; question prompt {prompt} tokens; continuation calls through OnnxChatClient; median of 3 by wall-time ratio");
            Console.WriteLine($"{"figure",-44} {"cache on",12} {"cache off",12}");
            Console.WriteLine($"{"prompt tokens prefilled",-44} {c.Prefilled,12} {n.Prefilled,12}");
            Console.WriteLine($"{"prompt tokens reused from the prefix cache",-44} {c.Reused,12} {n.Reused,12}");
            Console.WriteLine($"{"prefix cache hits / misses",-44} {$"{c.Hits} / {c.Misses}",12} {"-",12}");
            Console.WriteLine($"{"generated tokens",-44} {c.Generated,12} {n.Generated,12}");
            Console.WriteLine($"{"prefill tokens per generated token",-44} {c.PrefillPerToken,12:F3} {n.PrefillPerToken,12:F3}");
            Console.WriteLine($"{"wall ms",-44} {c.WallMs,12:F1} {n.WallMs,12:F1}");
            Console.WriteLine($"{"distinct particles after resampling (mean)",-44} {c.Distinct,12:F2} {n.Distinct,12:F2}");
            Console.WriteLine($"{"final particles identical on / off",-44} {(c.Final.SequenceEqual(n.Final) ? "yes" : "no"),12}");
            Console.WriteLine($"prefill on/off {(double)c.Prefilled / n.Prefilled:F3} (target <= 0.1); wall-time on/off {c.WallMs / n.WallMs:F3}; " +
                $"prefix cache holds {on.Statistics.PrefixCacheEntries} entries, {on.Statistics.PrefixCacheBytes / 1024.0 / 1024.0:F1} MiB");
            Console.WriteLine($"all repetitions, prefill on/off and wall on/off: {string.Join("; ", runs.Select(r => $"{(double)r.On.Prefilled / r.Off.Prefilled:F3}, {r.On.WallMs / r.Off.WallMs:F3}"))}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<Figures> RunFilterAsync(OnnxModel model, string question, int steps)
    {
        var client = new OnnxChatClient(model);
        var draw = new Random(1234);
        var particles = Enumerable.Repeat("", Particles).ToArray();
        var distinct = 0.0;
        model.Statistics.Reset();
        var sw = Stopwatch.StartNew();
        for (var step = 0; step < steps; step++)
        {
            var replies = await Task.WhenAll(particles.Select((partial, p) => client.GetResponseAsync(
                [new ChatMessage(ChatRole.User, question), new ChatMessage(ChatRole.Assistant, partial)],
                ChatContinuation.Continue(new ChatOptions { MaxOutputTokens = StepTokens, Temperature = 0.8f, Seed = (1000L * p) + step }))));
            var extended = particles.Select((partial, p) => partial + replies[p].Text).ToArray();
            if (step == steps - 1)
            {
                particles = extended;
                break;
            }

            // Weights: softmax over particles of the step's mean token log-probability; multinomial resampling.
            var scores = replies.Select(r => (double)r.AdditionalProperties![OnnxChatClient.LogProbSumKey]! / Math.Max(1, r.Usage?.OutputTokenCount ?? 1)).ToArray();
            var max = scores.Max();
            var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
            var total = weights.Sum();
            var next = new string[Particles];
            for (var i = 0; i < Particles; i++)
            {
                var u = draw.NextDouble() * total;
                var j = 0;
                while (j < Particles - 1 && (u -= weights[j]) >= 0)
                {
                    j++;
                }

                next[i] = extended[j];
            }

            particles = next;
            distinct += particles.Distinct().Count();
        }

        sw.Stop();
        var stats = model.Statistics;
        return new Figures(stats.PromptTokensPrefilled, stats.PromptTokensReused, stats.PrefixCacheHits, stats.PrefixCacheMisses, stats.GeneratedTokens,
            sw.Elapsed.TotalMilliseconds, distinct / Math.Max(1, steps - 1), particles);
    }

    private sealed record Figures(long Prefilled, long Reused, long Hits, long Misses, long Generated, double WallMs, double Distinct, string[] Final)
    {
        public double PrefillPerToken => (double)Prefilled / Math.Max(1, Generated);
    }
}
