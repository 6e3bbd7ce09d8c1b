using System.Diagnostics;
using System.Globalization;
using Compose.Onnx;
using Compose.Onnx.Generation;
using Compose.Onnx.TestKit;
using Microsoft.Extensions.AI;

// Prints, in one run on one machine: (a) runner wall time / time inside ONNX Runtime session runs,
// (b) 8 samples of one prompt (shared prefill + batching) / 8 sequential generations,
// (c) managed bytes allocated per generated token.
// `engines [threads]`: the compose and genai engines side by side (EngineBenchmark).
// `particles [threads]`: a particle filter through continuation calls, prefix cache on and off (ParticleBenchmark).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "engines")
{
    await EngineBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1);
    return;
}

if (args.Length > 0 && args[0] == "particles")
{
    await ParticleBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1);
    return;
}

var threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
var spec = new TinyDecoderSpec { Layers = 4, Heads = 8, HeadSize = 64, MlpSize = 2048, Vocab = 8192, ContextLength = 512, Seed = 7 };
var folder = Path.Combine(Path.GetTempPath(), "compose-onnx-perf-" + Environment.ProcessId);
TinyDecoderWriter.Write(folder, spec);
try
{
    // The prefix cache off: (b) compares batching with sequential runs that each prefill the prompt (the particles mode measures the cache).
    using var model = OnnxModel.Load(folder, new OnnxModelOptions { IntraOpThreads = threads, PrefixCacheBytes = 0 });
    var prompt = model.Tokenizer.Encode(model.ChatFormat.Render([new ChatMessage(ChatRole.User, "Write a short poem about the sea and the wind.")]));
    const int Tokens = 128;
    const int SampleTokens = 64;
    GenerationRequest Request(int max, long? seed) => new()
    {
        PromptIds = prompt,
        MaxNewTokens = max,
        StopAtEndOfSequence = false,
        Sampling = seed is null ? SamplingSettings.Greedy : new SamplingSettings { Temperature = 0.8f, TopP = 0.95f, Seed = seed },
    };

    // Warm up until the JIT has optimized the hot paths (tiered compilation) and ONNX Runtime's arena has grown.
    for (var i = 0; i < 4; i++)
    {
        await model.GenerateAsync(Request(Tokens, null));
        await Task.WhenAll(Enumerable.Range(1, 8).Select(s => model.GenerateAsync(Request(16, s))));
    }

    // (a) and (c): one sequence, greedy.
    var ratios = new List<double>();
    var perToken = new List<double>();
    var bytesPerToken = new List<double>();
    for (var rep = 0; rep < 3; rep++)
    {
        model.Statistics.Reset();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var result = await model.GenerateAsync(Request(Tokens, null));
        sw.Stop();
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        ratios.Add(sw.Elapsed.TotalMilliseconds / model.Statistics.SessionRunTime.TotalMilliseconds);
        perToken.Add(sw.Elapsed.TotalMilliseconds / result.Tokens.Count);
        bytesPerToken.Add((double)bytes / result.Tokens.Count);
    }

    // The same through IChatClient (tokenizing, chat formatting, incremental UTF-8 decoding included).
    var client = new OnnxChatClient(model);
    var chatRatios = new List<double>();
    long chatTokens = 0;
    for (var rep = 0; rep < 3; rep++)
    {
        model.Statistics.Reset();
        var sw = Stopwatch.StartNew();
        var reply = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Write a short poem about the sea and the wind.")],
            new ChatOptions { MaxOutputTokens = Tokens, Temperature = 0 });
        sw.Stop();
        chatTokens = reply.Usage?.OutputTokenCount ?? 0;
        chatRatios.Add(sw.Elapsed.TotalMilliseconds / model.Statistics.SessionRunTime.TotalMilliseconds);
    }

    // (b): 8 samples of one prompt: concurrently (one prefill, one batch) vs one after another.
    var batchedTimes = new List<double>();
    var sequentialTimes = new List<double>();
    var batchedSession = new List<double>();
    var sequentialSession = new List<double>();
    for (var rep = 0; rep < 3; rep++)
    {
        model.Statistics.Reset();
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(1, 8).Select(i => model.GenerateAsync(Request(SampleTokens, i))));
        batchedTimes.Add(sw.Elapsed.TotalMilliseconds);
        batchedSession.Add(model.Statistics.SessionRunTime.TotalMilliseconds);
        model.Statistics.Reset();
        sw.Restart();
        for (var i = 1; i <= 8; i++)
        {
            await model.GenerateAsync(Request(SampleTokens, i));
        }

        sequentialTimes.Add(sw.Elapsed.TotalMilliseconds);
        sequentialSession.Add(model.Statistics.SessionRunTime.TotalMilliseconds);
    }

    static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
    Console.WriteLine($"Compose.Onnx.Perf: tiny llama-layout decoder {spec.Layers} layers, hidden {spec.Hidden}, mlp {spec.MlpSize}, vocab {spec.Vocab}, fp32; CPU EP, intra-op threads {threads}, {Environment.ProcessorCount} cores; prompt {prompt.Count} tokens; median of 3");
    Console.WriteLine($"{"figure",-64} {"value",10} {"target",8}");
    Console.WriteLine($"{"(a) runner wall / session-run time (1 seq x " + Tokens + " tokens)",-64} {Median(ratios),10:F3} {"<= 1.05",8}");
    Console.WriteLine($"{"    same through IChatClient (" + chatTokens + " tokens; tokenize, UTF-8 decode)",-64} {Median(chatRatios),10:F3}");
    Console.WriteLine($"{"    wall ms per generated token",-64} {Median(perToken),10:F3}");
    Console.WriteLine($"{"(b) 8 samples shared prefill+batch / 8 sequential (" + SampleTokens + " tok)",-64} {Median(batchedTimes) / Median(sequentialTimes),10:F3} {"<= 0.4",8}");
    Console.WriteLine($"{"    batched ms / sequential ms",-64} {Median(batchedTimes),10:F1} / {Median(sequentialTimes):F1}");
    Console.WriteLine($"{"    of which in session runs",-64} {Median(batchedSession),10:F1} / {Median(sequentialSession):F1}");
    Console.WriteLine($"{"(c) managed bytes allocated per generated token",-64} {Median(bytesPerToken),10:F0}");
}
finally
{
    Directory.Delete(folder, recursive: true);
}
