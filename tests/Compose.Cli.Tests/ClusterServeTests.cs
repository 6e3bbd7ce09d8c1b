using System.ClientModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Compose.Cli.Tests;

/// <summary>
/// <c>compose serve --cluster</c>: Redis, two silo processes (one hosting the model) and two front-end processes;
/// both front ends answer, the model calls run on the hosting silo, and the front ends share the cluster's cache.
/// </summary>
public sealed class ClusterServeTests
{
    private const string Models = """
        models:
          m:
            provider: scripted
            latency_ms: 30
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
    public async Task Two_front_ends_over_one_cluster_call_the_hosting_silo_and_share_the_cache()
    {
        using var redis = await RedisServer.StartAsync();
        var folder = Directory.CreateTempSubdirectory("compose-cluster-serve-").FullName;
        var modelsPath = Path.Combine(folder, "models.yaml");
        File.WriteAllText(modelsPath, Models);
        File.WriteAllText(Path.Combine(folder, "vote.yaml"), Pipeline);
        var silos = await Task.WhenAll(SiloProcess.StartAsync(redis, "host", modelsPath), SiloProcess.StartAsync(redis, "bare"));
        try
        {
            var fronts = await Task.WhenAll(
                ServeProcess.StartAsync(Path.Combine(folder, "vote.yaml"), "--models", modelsPath, "--cluster", redis.Connection),
                ServeProcess.StartAsync(Path.Combine(folder, "vote.yaml"), "--models", modelsPath, "--cluster", redis.Connection));
            using var a = fronts[0];
            using var b = fronts[1];
            Assert.NotEqual(a.Port, b.Port);
            foreach (var front in fronts)
            {
                Assert.Contains("2 silo(s)", front.Log, StringComparison.Ordinal);
                Assert.Contains("models called on silos: m (", front.Log, StringComparison.Ordinal);
            }

            var before = await CallsAsync(redis);
            Assert.Equal(["bare", "host"], before.Keys.Order(StringComparer.Ordinal));

            // Front end A, not streaming: the five samples run on the hosting silo.
            var first = await a.CompleteAsync("What is item 1?");
            Assert.Matches("^The answer is [123]\\.$", first);
            var afterA = await CallsAsync(redis);
            Assert.Equal(5, afterA["host"] - before["host"]);
            Assert.Equal(before["bare"], afterA["bare"]);

            // The same request on front end B: answered from the shared cache, no call is made.
            Assert.Equal(first, await b.CompleteAsync("What is item 1?"));
            Assert.Equal(afterA, await CallsAsync(redis));

            // Streaming on B with a new question: calls on the hosting silo again; then on A from the cache.
            var streamed = await b.StreamAsync("What is item 2?");
            Assert.Matches("^The answer is [123]\\.$", streamed);
            var afterB = await CallsAsync(redis);
            Assert.Equal(5, afterB["host"] - afterA["host"]);
            Assert.Equal(before["bare"], afterB["bare"]);
            Assert.Equal(streamed, await a.StreamAsync("What is item 2?"));
            Assert.Equal(afterB, await CallsAsync(redis));

            // SIGTERM: the front end stops politely (its cluster client closed), the other keeps serving.
            Assert.Equal(0, await a.StopAsync());
            Assert.Contains("compose serve: stopped", a.Log, StringComparison.Ordinal);
            Assert.Equal(first, await b.CompleteAsync("What is item 1?"));

            // Without the cluster: the same pipeline on one machine gives the same answer.
            using var local = await ServeProcess.StartAsync(Path.Combine(folder, "vote.yaml"), "--models", modelsPath);
            Assert.Equal(first, await local.CompleteAsync("What is item 1?"));
            Assert.DoesNotContain("silo", local.Log, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var silo in silos)
            {
                silo.Dispose();
            }
        }
    }

    [SkippableFact]
    public async Task A_front_end_keeps_answering_when_one_of_two_hosting_silos_is_killed()
    {
        using var redis = await RedisServer.StartAsync();
        var folder = Directory.CreateTempSubdirectory("compose-cluster-serve-loss-").FullName;
        var modelsPath = Path.Combine(folder, "models.yaml");
        File.WriteAllText(modelsPath, Models);
        File.WriteAllText(Path.Combine(folder, "vote.yaml"), Pipeline);
        var silos = await Task.WhenAll(SiloProcess.StartAsync(redis, "h1", modelsPath), SiloProcess.StartAsync(redis, "h2", modelsPath));
        try
        {
            using var front = await ServeProcess.StartAsync(Path.Combine(folder, "vote.yaml"), "--models", modelsPath, "--cluster", redis.Connection);
            var before = await CallsAsync(redis);
            await Task.WhenAll(Enumerable.Range(1, 4).Select(i => front.CompleteAsync($"What is spread item {i}?")));
            var spread = await CallsAsync(redis);
            Assert.Equal(20, spread["h1"] + spread["h2"] - before["h1"] - before["h2"]);
            Assert.True(spread["h1"] > before["h1"] && spread["h2"] > before["h2"], "calls went to both hosting silos");

            silos[0].Kill(); // SIGKILL: it says nothing to the cluster
            var answers = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => front.CompleteAsync($"What is after-loss item {i}?")));
            Assert.All(answers, a => Assert.Matches("^The answer is [123]\\.$", a));
            var after = await CallsAsync(redis);
            Assert.Equal(["h2"], after.Keys);
            Assert.Equal(40, after["h2"] - spread["h2"]);
        }
        finally
        {
            foreach (var silo in silos)
            {
                silo.Dispose();
            }
        }
    }

    [SkippableFact]
    public async Task A_front_end_of_a_cluster_without_silos_stops_with_CMP960_after_the_connect_timeout()
    {
        using var redis = await RedisServer.StartAsync();
        var clock = Stopwatch.StartNew();
        var result = await Cli.Process(["serve", "pipelines/self-consistency.yaml", "--models", Repo.ScriptedModels, "--urls", $"http://127.0.0.1:{RedisServer.FreePort()}", "--cluster", redis.Connection]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error CMP960: cannot join cluster 'compose'", result.Error, StringComparison.Ordinal);
        Assert.Contains("hint:", result.Error, StringComparison.Ordinal);
        Assert.False(result.ShowsStackTrace, result.All);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(90)); // it waited for silos that may be starting, then gave up
    }

    private static async Task<Dictionary<string, long>> CallsAsync(RedisServer redis)
    {
        var status = await Cli.Process(["cluster", "status", "--cluster", redis.Connection, "--json"]);
        Assert.True(status.ExitCode == 0, status.All);
        using var json = JsonDocument.Parse(status.Out);
        return json.RootElement.EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("calls").GetInt64());
    }

    /// <summary>A <c>compose serve</c> child process on a free port of 127.0.0.1.</summary>
    private sealed class ServeProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _log = new();

        private ServeProcess(Process process, int port)
        {
            _process = process;
            Port = port;
            Chat = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri($"http://127.0.0.1:{port}/v1") }).GetChatClient("vote-5");
        }

        public int Port { get; }

        public ChatClient Chat { get; }

        public string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        public static async Task<ServeProcess> StartAsync(string pipeline, params string[] extra)
        {
            var port = RedisServer.FreePort();
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Compose.Cli.dll"), "serve", pipeline, "--urls", $"http://127.0.0.1:{port}", "--log-level", "Warning" }.Concat(extra))
            {
                psi.ArgumentList.Add(arg);
            }

            var server = new ServeProcess(Process.Start(psi)!, port);
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void Read(StreamReader reader) => _ = Task.Run(async () =>
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    lock (server._log)
                    {
                        server._log.AppendLine(line);
                    }

                    if (line.Contains("listening on", StringComparison.Ordinal))
                    {
                        listening.TrySetResult();
                    }
                }

                listening.TrySetResult();
            });
            Read(server._process.StandardOutput);
            Read(server._process.StandardError);
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.False(server._process.HasExited, "compose serve exited: " + server.Log);
            return server;
        }

        public async Task<string> CompleteAsync(string question)
        {
            ChatCompletion completion = await Chat.CompleteChatAsync([new UserChatMessage(question)]);
            return completion.Content[0].Text;
        }

        public async Task<string> StreamAsync(string question)
        {
            var text = new StringBuilder();
            await foreach (var update in Chat.CompleteChatStreamingAsync([new UserChatMessage(question)]))
            {
                foreach (var part in update.ContentUpdate)
                {
                    text.Append(part.Text);
                }
            }

            return text.ToString();
        }

        /// <summary>SIGTERM, then the exit code.</summary>
        public async Task<int> StopAsync()
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(200); // the last lines of output
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
        }
    }
}
