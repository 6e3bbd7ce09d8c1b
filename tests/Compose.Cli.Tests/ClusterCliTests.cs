using System.Diagnostics;
using System.Text.Json;

namespace Compose.Cli.Tests;

/// <summary>A real cluster: Redis and three <c>compose cluster silo</c> processes on 127.0.0.1, driven by the CLI.</summary>
public sealed class ClusterCliTests
{
    private const string Models = """
        models:
          m:
            provider: scripted
            latency_ms: 40
            rules:
              - when: "What is"
                replies: ["The answer is 1.", "The answer is 2.", "The answer is 3.", "The answer is 2."]
        """;

    private const string Pipeline = """
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

    [SkippableFact]
    public async Task An_eval_over_three_silo_processes_loses_nothing_when_one_is_killed_and_equals_the_single_process_run()
    {
        using var redis = await RedisServer.StartAsync();
        var folder = Directory.CreateTempSubdirectory("compose-cluster-cli-").FullName;
        File.WriteAllText(Path.Combine(folder, "models.yaml"), Models);
        File.WriteAllText(Path.Combine(folder, "vote.yaml"), Pipeline);
        File.WriteAllLines(Path.Combine(folder, "bench.jsonl"), Enumerable.Range(1, 200).Select(i => $$"""{"id": "q{{i}}", "prompt": "What is item {{i}}?", "reference": "2"}"""));
        var silos = await Task.WhenAll(new[] { "s1", "s2", "s3" }.Select(name => SiloProcess.StartAsync(redis, name, Path.Combine(folder, "models.yaml"), modelConcurrency: 3)));
        try
        {
            string[] Eval(string output, params string[] extra) =>
                ["eval", Path.Combine(folder, "vote.yaml"), "-b", Path.Combine(folder, "bench.jsonl"), "--models", Path.Combine(folder, "models.yaml"),
                 "--scorer", "number", "--seed", "5", "--out", Path.Combine(folder, output), "--json", .. extra];

            // Kill s2 (SIGKILL) once a fifth of the items are in: it has items and model calls in flight.
            var clusterOut = Path.Combine(folder, "cluster");
            var (code, stdout, stderr) = await RunWhile(Eval("cluster", "--cluster", redis.Connection, "--concurrency", "24"), () =>
            {
                if (Lines(clusterOut) >= 40 && !silos[1].HasExited)
                {
                    silos[1].Kill();
                }
            });
            Assert.True(code == 0, $"exit {code}\n{stderr}");
            Assert.True(silos[1].HasExited, "the silo was killed mid-run");
            Assert.Contains("sent again after their silo was lost", stderr, StringComparison.Ordinal);
            foreach (var name in new[] { "s1", "s2", "s3" })
            {
                Assert.Matches($"items answered per silo: .*{name} \\d+", stderr);
            }

            var local = await Cli.Process(Eval("local", "--concurrency", "8"));
            Assert.True(local.ExitCode == 0, local.All);

            var clustered = Results(clusterOut);
            var single = Results(Path.Combine(folder, "local"));
            Assert.Equal(200, clustered.Count); // every item once: none lost, none duplicated
            Assert.Equal(200, clustered.Select(r => r.Id).Distinct().Count());
            Assert.Equal(single.Select(r => (r.Id, r.Answer, r.Correct)), clustered.Select(r => (r.Id, r.Answer, r.Correct)));
            Assert.True(clustered.Sum(r => r.Calls) <= single.Sum(r => r.Calls), "calls an item made on the killed silo are answered from the shared cache, not paid again");
            using var summary = JsonDocument.Parse(stdout);
            Assert.Equal(single.Count(r => r.Correct) / 200.0, summary.RootElement.GetProperty("results")[0].GetProperty("accuracy").GetDouble(), 6);
        }
        finally
        {
            foreach (var silo in silos)
            {
                silo.Dispose();
            }
        }
    }

    private static int Lines(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.jsonl").Sum(f => ReadShared(f).Count(l => l.Length > 0) - 1) : 0;

    private static string[] ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n');
        }
        catch (IOException)
        {
            return [];
        }
    }

    private sealed record Row(string Id, string? Answer, bool Correct, int Calls);

    private static List<Row> Results(string folder)
    {
        var file = Assert.Single(Directory.GetFiles(folder, "*.jsonl"));
        return [.. File.ReadLines(file).Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            return new Row(r.GetProperty("id").GetString()!, r.TryGetProperty("answer", out var a) ? a.GetString() : null,
                r.TryGetProperty("correct", out var c) && c.GetBoolean(), r.TryGetProperty("calls", out var n) ? n.GetInt32() : 0);
        }).OrderBy(r => r.Id, StringComparer.Ordinal)];
    }

    /// <summary>Runs the CLI to its end, calling <paramref name="watch"/> every few milliseconds meanwhile.</summary>
    private static async Task<(int Code, string Out, string Error)> RunWhile(string[] args, Action watch)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Compose.Cli.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(4))
        {
            watch();
            await Task.Delay(20);
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
