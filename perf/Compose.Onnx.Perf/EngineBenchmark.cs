using System.Diagnostics;
using Compose.Onnx;
using Compose.Onnx.GenAi;
using Compose.Onnx.Generation;
using Compose.Onnx.TestKit;
using Microsoft.Extensions.AI;

/// <summary>
/// `engines [threads]`: the compose engine and the genai engine (ONNX Runtime GenAI) side by side on one written
/// llama-layout decoder, in one process: tokens per second for one greedy sequence, eight sampled answers to one
/// prompt issued together, and eight different prompts (of one token length) issued together; the ratio
/// compose/genai of each (above 1: compose is faster). Also the genai engine with log-probabilities off, to show
/// what reading the logits costs. Each figure is the median of five runs after a warm-up.
/// </summary>
internal static class EngineBenchmark
{
    private const int Tokens = 128;
    private const int SampleTokens = 64;
    private const int Reps = 5;

    public static async Task RunAsync(int threads)
    {
        var spec = new TinyDecoderSpec { Layers = 4, Heads = 8, HeadSize = 64, MlpSize = 2048, Vocab = 8192, ContextLength = 512, Seed = 7 };
        var folder = Path.Combine(Path.GetTempPath(), "compose-onnx-engines-" + Environment.ProcessId);
        TinyDecoderWriter.Write(folder, spec);
        try
        {
            var options = new OnnxModelOptions { IntraOpThreads = threads, PrefixCacheBytes = 0, BatchWindow = TimeSpan.FromMilliseconds(2) };
            using var compose = OnnxModel.Load(folder, options);
            using var genai = GenAiModel.Load(folder, options);
            using var genaiNoLp = GenAiModel.Load(folder, options);
            genaiNoLp.SkipLogProbabilities = true;
            var prompt = Encode(compose, "Write a short poem about the sea and the wind.");
            var prompts = Enumerable.Range(0, 8).Select(i => Encode(compose, $"Write a short poem about the sea, number {i}.")).ToArray();
            Console.WriteLine($"Compose.Onnx.Perf engines: llama-layout decoder {spec.Layers} layers, hidden {spec.Hidden}, mlp {spec.MlpSize}, vocab {spec.Vocab}, fp32, " +
                $"intra-op threads {threads}, prefix cache off; prompt {prompt.Count} tokens; median of {Reps} runs; tokens/s (higher is better)");
            Console.WriteLine($"prompt lengths of the eight different prompts: {string.Join(", ", prompts.Select(p => p.Count).Distinct())}");

            var rows = new List<(string Name, double Compose, double Genai, double GenaiNoLp)>
            {
                ($"one sequence, greedy, {Tokens} tokens", await Measure(compose, m => One(m, prompt)), await Measure(genai, m => One(m, prompt)), await Measure(genaiNoLp, m => One(m, prompt))),
                ($"8 samples of one prompt, T=0.8, {SampleTokens} tokens", await Measure(compose, m => Samples(m, prompt)), await Measure(genai, m => Samples(m, prompt)), await Measure(genaiNoLp, m => Samples(m, prompt))),
                ($"8 different prompts at once, greedy, {SampleTokens} tokens", await Measure(compose, m => Different(m, prompts)), await Measure(genai, m => Different(m, prompts)), await Measure(genaiNoLp, m => Different(m, prompts))),
            };

            Console.WriteLine($"{"workload",-48} {"compose",10} {"genai",10} {"compose/genai",14} {"genai no logprobs",18}");
            foreach (var (name, c, g, n) in rows)
            {
                Console.WriteLine($"{name,-48} {c,10:F1} {g,10:F1} {c / g,14:F2} {n,18:F1}");
            }

            genai.Statistics.Reset();
            await Different(genai, prompts);
            Console.WriteLine($"genai batches for the eight different prompts: {genai.Statistics.Batches}; log-probabilities cost on genai (no-logprobs/with, one sequence): {rows[0].GenaiNoLp / rows[0].Genai:F2}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static IReadOnlyList<int> Encode(IOnnxEngine model, string text) =>
        model.Tokenizer.Encode(model.ChatFormat.Render([new ChatMessage(ChatRole.User, text)]));

    private static GenerationRequest Request(IReadOnlyList<int> prompt, int max, bool sample) => new()
    {
        PromptIds = prompt,
        MaxNewTokens = max,
        StopAtEndOfSequence = false,
        Sampling = sample ? new SamplingSettings { Temperature = 0.8f, TopP = 0.95f } : SamplingSettings.Greedy,
    };

    private static async Task<int> One(IOnnxEngine model, IReadOnlyList<int> prompt) =>
        (await model.GenerateAsync(Request(prompt, Tokens, sample: false))).Tokens.Count;

    private static async Task<int> Samples(IOnnxEngine model, IReadOnlyList<int> prompt) =>
        (await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => model.GenerateAsync(Request(prompt, SampleTokens, sample: true))))).Sum(r => r.Tokens.Count);

    private static async Task<int> Different(IOnnxEngine model, IReadOnlyList<int>[] prompts) =>
        (await Task.WhenAll(prompts.Select(p => model.GenerateAsync(Request(p, SampleTokens, sample: false))))).Sum(r => r.Tokens.Count);

    /// <summary>Median tokens per second of <paramref name="work"/> (which returns the tokens it generated), after one warm-up run.</summary>
    private static async Task<double> Measure(IOnnxEngine model, Func<IOnnxEngine, Task<int>> work)
    {
        await work(model);
        var rates = new List<double>();
        for (var i = 0; i < Reps; i++)
        {
            var sw = Stopwatch.StartNew();
            var tokens = await work(model);
            rates.Add(tokens / sw.Elapsed.TotalSeconds);
        }

        rates.Sort();
        return rates[Reps / 2];
    }
}
