// Compose runtime benchmark: prints ratios measured side by side in one run.
//
//   dotnet run -c Release --project perf/Compose.Perf [-- --latency-ms 40 --questions 50]
//
// (1) Parallelism: generate(10) -> critique -> rank(keep 5) -> fuse over N questions with a scripted
//     model of fixed latency L. The critical path of one question is 4 calls (one per layer), so the
//     lower bound of N questions answered one after another is N x 4 x L. Archon issues the calls of a
//     question one after another: 10 + 10 + 1 + 1 = 22 latencies per question.
// (2) Overhead: the framework's own time per model call with a zero-latency model, and the managed
//     bytes allocated per call, on the same shape.
using System.Diagnostics;
using System.Globalization;
using Compose.Compilation;
using Compose.Models;
using Compose.Runtime;

var latencyMs = Arg("--latency-ms", 40);
var questions = Arg("--questions", 50);

Console.WriteLine($"Compose runtime benchmark  ({Environment.ProcessorCount} cores, .NET {Environment.Version})");
Console.WriteLine();

// (1) wall time against the critical path
using (var pipeline = Build(latencyMs, telemetry: true))
{
    await RunQuestions(pipeline, 3); // warm-up
    var sw = Stopwatch.StartNew();
    var calls = await RunQuestions(pipeline, questions);
    sw.Stop();
    var criticalPath = questions * 4 * latencyMs;
    var archon = questions * 22 * latencyMs;
    Console.WriteLine($"[1] generate(10) -> critique -> rank(keep 5) -> fuse, {questions} questions one after another, model latency {latencyMs} ms");
    Console.WriteLine($"    calls made                       {calls} ({calls / questions} per question)");
    Console.WriteLine($"    wall time                        {sw.Elapsed.TotalMilliseconds,10:F0} ms");
    Console.WriteLine($"    critical-path lower bound        {criticalPath,10} ms   (4 latencies per question)");
    Console.WriteLine($"    sequential calls (Archon)        {archon,10} ms   (22 latencies per question)");
    Console.WriteLine($"    ratio wall / critical path       {sw.Elapsed.TotalMilliseconds / criticalPath,10:F3}   (target <= 1.1)");
    Console.WriteLine($"    speed-up over sequential calls   {archon / sw.Elapsed.TotalMilliseconds,10:F2}x");
}

Console.WriteLine();

// (2) framework overhead per call with a zero-latency model
foreach (var telemetry in new[] { false, true })
{
    using var pipeline = Build(0, telemetry);
    // Warm-up and tiering: at least 2,000 questions and 3 seconds, so the JIT's tier-1 code (compiled in the background)
    // is in place before measuring, whatever ran before this mode.
    var warmUp = Stopwatch.StartNew();
    do
    {
        await RunQuestions(pipeline, 1_000);
    }
    while (warmUp.Elapsed < TimeSpan.FromSeconds(3));
    var best = double.MaxValue;
    var bytesPerCall = 0.0;
    for (var round = 0; round < 5; round++)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var calls = await RunQuestions(pipeline, 1_000);
        sw.Stop();
        var after = GC.GetTotalAllocatedBytes(precise: true);
        var usPerCall = sw.Elapsed.TotalMicroseconds / calls;
        if (usPerCall < best)
        {
            best = usPerCall;
            bytesPerCall = (after - before) / (double)calls;
        }
    }

    Console.WriteLine($"[2] zero-latency model, telemetry {(telemetry ? "on (no listener)" : "off")}");
    Console.WriteLine($"    framework time per model call    {best,10:F2} us   (target < 20 us; includes prompt rendering and scripted reply)");
    Console.WriteLine($"    managed bytes per model call     {bytesPerCall,10:F0} B");
}

static async Task<int> RunQuestions(RunnablePipeline pipeline, int count)
{
    var calls = 0;
    for (var q = 0; q < count; q++)
    {
        var result = await pipeline.RunAsync($"Question {q}: what is {q} + {q}?");
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(result.Error);
        }

        calls += result.Usage.Calls;
    }

    return calls;
}

static RunnablePipeline Build(int latencyMs, bool telemetry)
{
    var yaml = $$"""
        compose: 1
        name: bench
        models:
          m:
            provider: scripted
            latency_ms: {{latencyMs}}
            rules:
              - { when: "^Evaluate", reply: "Strengths: clear. Weaknesses: none." }
              - { when: "^Rank", reply: "[3] > [1] > [2] > [5] > [4]" }
              - { when: "^You have been given", reply: "The answer is 4." }
            default: "The answer is 4."
        defaults: { model: m, max_tokens: 256 }
        layers:
          - generate: { samples: 10 }
          - critique: {}
          - rank: { keep: 5 }
          - fuse: {}
        """;
    var catalog = StandardProviders.Catalog;
    var context = new ModelProviderContext { BaseDirectory = Directory.GetCurrentDirectory(), Catalog = catalog };
    var compiled = PipelineCompiler.CompileText(yaml, "bench.yaml", catalog, context);
    if (!compiled.Success)
    {
        throw new InvalidOperationException(string.Join("\n", compiled.Diagnostics));
    }

    var (pipeline, diagnostics) = RunnablePipeline.Build(compiled.Graph!, catalog, context, new PipelineBuildOptions { Telemetry = telemetry });
    return pipeline ?? throw new InvalidOperationException(string.Join("\n", diagnostics));
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
