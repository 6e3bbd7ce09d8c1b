// Compose cluster benchmark: prints figures measured side by side in one run.
//
//   dotnet run -c Release --project perf/Compose.Cluster.Perf [-- --items 240 --latency-ms 50 --capacity 4]
//
// (1) Scale-out: the same evaluation (vote over 5 samples per item, a scripted model with a fixed latency) on an
//     Orleans cluster of 1, 2 and 3 silos in this process, each silo with a fixed capacity per model (calls at once).
//     One silo's ceiling is capacity / latency calls per second; n silos should come close to n times it.
// (2) Overhead: one model call with a zero-latency model, made in-process (the model's chat client) and through the
//     cluster (a model grain on a silo, called from the cluster's client: serialization, messaging, the silo's limit).
using System.Diagnostics;
using System.Globalization;
using Compose.Cluster;
using Compose.Evaluation.Running;
using Compose.Language;
using Compose.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;

var items = Arg("--items", 240);
var latencyMs = Arg("--latency-ms", 50);
var capacity = Arg("--capacity", 4);
var folder = Directory.CreateTempSubdirectory("compose-cluster-perf-").FullName;
var modelsPath = Path.Combine(folder, "models.yaml");
File.WriteAllText(modelsPath, $$"""
    models:
      m:
        provider: scripted
        latency_ms: {{latencyMs}}
        rules:
          - when: "What is"
            replies: ["The answer is 1.", "The answer is 2.", "The answer is 3.", "The answer is 2."]
    """);
var pipelinePath = Path.Combine(folder, "vote.yaml");
var pipeline = """
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
File.WriteAllText(pipelinePath, pipeline);
var benchmark = Path.Combine(folder, "bench.jsonl");
File.WriteAllLines(benchmark, Enumerable.Range(1, items).Select(i => $$"""{"id": "q{{i}}", "prompt": "What is item {{i}}?", "reference": "2"}"""));
var (models, problems) = ModelsFileReader.ReadFile(modelsPath);
if (problems.Any(d => d.IsError))
{
    throw new DiagnosticException(problems);
}

Console.WriteLine($"Compose cluster benchmark  ({Environment.ProcessorCount} cores, .NET {Environment.Version}; silos in this process)");
Console.WriteLine();
Console.WriteLine($"[1] {items} items x 5 calls, model latency {latencyMs} ms, each silo {capacity} calls at once per model");
Console.WriteLine($"    one silo's ceiling: {capacity * 1000.0 / latencyMs:F0} calls/s");
Console.WriteLine("    silos | wall s | calls/s | items/s | vs 1 silo | of n x ceiling | items per silo");
double? one = null;
foreach (var silos in new[] { 1, 2, 3 })
{
    await using var cluster = await StartAsync(silos, models, capacity, folder);
    var job = ClusterEvaluation.Job(pipeline, pipelinePath, File.ReadAllText(modelsPath), modelsPath, "number", null, 60, seed: 1);
    using var dispatcher = new ClusterDispatcher(cluster.Client);
    var evaluate = ClusterEvaluation.Evaluate(dispatcher, job);
    await Evaluator.RunAsync("warm-up", evaluate, benchmark, new EvalOptions { Seed = 99, Limit = 4 * silos, Concurrency = 4 * silos });
    var clock = Stopwatch.StartNew();
    var report = await Evaluator.RunAsync("vote", evaluate, benchmark, new EvalOptions { Seed = 1, Concurrency = 3 * capacity * silos });
    clock.Stop();
    var callsPerSecond = report.Calls / clock.Elapsed.TotalSeconds;
    one ??= callsPerSecond;
    var spread = string.Join(" ", dispatcher.AnsweredBySilo.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Value - (4 * silos / dispatcher.AnsweredBySilo.Count)));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"    {silos,5} | {clock.Elapsed.TotalSeconds,6:F2} | {callsPerSecond,7:F0} | {report.Items.Length / clock.Elapsed.TotalSeconds,7:F1} | {callsPerSecond / one.Value,8:F2}x | {callsPerSecond / (silos * capacity * 1000.0 / latencyMs),13:P0} | {spread}"));
}

Console.WriteLine();

// (2) per-call overhead: in-process vs through a model grain
var zero = models[0] with { Options = (SpecMapping)Replace((SpecMapping)models[0].Options, "latency_ms", "0") };
{
    await using var cluster = await StartAsync(1, [zero], 64, folder);
    StandardProviders.Catalog.TryGet("scripted", out var scripted);
    using var local = scripted.Create(zero, new Compose.Models.ModelProviderContext { BaseDirectory = folder, Catalog = StandardProviders.Catalog });
    var grain = cluster.Client.GetGrain<IModelGrain>(SiloPinnedPlacement.Key(cluster.FirstSilo, ModelIdentity.Of(zero)));
    List<ChatMessage> messages = [new(ChatRole.User, "What is item 1?")];
    var options = new ChatOptions { Seed = 1, Temperature = 0.8f };
    var call = new ModelCall { ModelId = ModelIdentity.Of(zero), Messages = ChatWire.Messages(messages), Options = ChatWire.Options(options) };

    async Task<double> Sequential(Func<Task> one, int n)
    {
        for (var i = 0; i < 200; i++)
        {
            await one();
        }

        var best = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < n; i++)
            {
                await one();
            }

            best = Math.Min(best, clock.Elapsed.TotalMicroseconds / n);
        }

        return best;
    }

    async Task<double> Concurrent(Func<Task> one, int n, int width)
    {
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, n, new ParallelOptions { MaxDegreeOfParallelism = width }, async (_, _) => await one());
        return n / clock.Elapsed.TotalSeconds;
    }

    var inProcess = await Sequential(() => local.GetResponseAsync(messages, options), 5_000);
    var wire = await Sequential(() => Task.FromResult(ChatWire.ReadResponse(ChatWire.Response(new ChatResponse(new ChatMessage(ChatRole.Assistant, ChatWire.ReadMessages(call.Messages)[0].Text))))), 5_000);
    var remote = await Sequential(() => grain.CallAsync(call), 2_000);
    var inProcessRate = await Concurrent(() => local.GetResponseAsync(messages, options), 20_000, 64);
    var remoteRate = await Concurrent(() => grain.CallAsync(call), 20_000, 64);
    Console.WriteLine("[2] one model call, zero model latency");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    in-process (the model's chat client)        {inProcess,9:F1} us/call   {inProcessRate,9:F0} calls/s with 64 at once"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    through the cluster (model grain, client)   {remote,9:F1} us/call   {remoteRate,9:F0} calls/s with 64 at once"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    of which JSON of messages and reply         {wire,9:F1} us/call"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    cluster overhead per call                   {remote - inProcess,9:F1} us   ({remote / inProcess:F0}x the in-process call; against a 50 ms model call: {(remote - inProcess) / 500:F2}%)"));
}

Directory.Delete(folder, recursive: true);

static SpecNode Replace(SpecMapping map, string key, string value) =>
    map with { Entries = [.. map.Entries.Select(e => e.Key == key ? e with { Value = new SpecScalar(value, e.Value.Location) } : e)] };

static async Task<Started> StartAsync(int silos, System.Collections.Immutable.ImmutableArray<ModelSpec> models, int capacity, string folder)
{
    IDistributedCache cache = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
    var builder = new InProcessTestClusterBuilder((short)silos);
    builder.Options.ConfigureFileLogging = false;
    builder.ConfigureSilo((options, silo) => silo.AddCompose(new ComposeSiloOptions { Name = options.SiloName, Models = models, ModelConcurrency = capacity, BaseDirectory = folder }, cache));
    var cluster = builder.Build();
    await cluster.DeployAsync();
    return new Started(cluster);
}

int Arg(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
}

internal sealed class Started(InProcessTestCluster cluster) : IAsyncDisposable
{
    public IClusterClient Client => cluster.Client;

    public Orleans.Runtime.SiloAddress FirstSilo => cluster.Silos[0].SiloAddress;

    public async ValueTask DisposeAsync()
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }
}
