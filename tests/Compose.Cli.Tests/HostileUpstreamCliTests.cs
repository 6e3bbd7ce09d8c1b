using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Compose.Cli.Tests;

/// <summary>
/// The real CLI (a child process) against a hostile OpenAI-compatible upstream on 127.0.0.1: the run fails with exit
/// code 1 and a message naming the model and endpoint, no stack trace, and the API key (set only in the child's
/// environment) appears nowhere in stdout, stderr or the trace file, not even lower-cased or in pieces.
/// </summary>
public sealed class HostileUpstreamCliTests
{
    private const string KeyVariable = "COMPOSE_E2E_UPSTREAM_KEY";

    /// <summary>What the upstream answers (for every request), given the key; and what the message must say.</summary>
    public static TheoryData<string> Cases() =>
    [
        "401 echoing the key lower-cased",
        "400 echoing the key truncated",
        "200 error echoing the key upper-cased",
        "garbage json",
        "html page",
        "empty choices",
        "stream-shaped reply",
    ];

    private static (int Status, string ContentType, string Body, string Problem) Reply(string name, string key) => name switch
    {
        "401 echoing the key lower-cased" => (401, "application/json", "{\"error\":{\"message\":\"Incorrect API key provided: " + key.ToLowerInvariant() + ".\"}}", "HTTP 401 Unauthorized (not retried): Incorrect API key provided: ***"),
        "400 echoing the key truncated" => (400, "application/json", "{\"error\":{\"message\":\"Incorrect API key provided: " + key[..12] + "..." + key[^4..] + "\"}}", "HTTP 400 Bad Request (not retried): Incorrect API key provided: ***..."),
        "200 error echoing the key upper-cased" => (200, "application/json", "{\"error\":{\"message\":\"key " + key.ToUpperInvariant() + " is over quota\"}}", "answered HTTP 200 with an error: \"key *** is over quota\""),
        "garbage json" => (200, "application/json", "{\"choices\": [ oops", "sent a reply that is not valid JSON"),
        "html page" => (200, "text/html", "<html><head><title>Welcome to nginx!</title></head></html>", "sent an HTML page, not a JSON chat completion: \"Welcome to nginx!\""),
        "empty choices" => (200, "application/json", """{"id":"x","object":"chat.completion","choices":[]}""", "sent a reply with no choices"),
        _ => (200, "text/event-stream", "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n", "sent an event stream where a JSON reply was asked"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_upstream_fails_the_run_cleanly_without_leaking_the_key(string name)
    {
        var key = "sk-E2e-" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant() + Guid.NewGuid().ToString("N")[..14];
        var (status, contentType, body, problem) = Reply(name, key);
        using var upstream = FakeUpstream.Start(status, contentType, body);
        var directory = Directory.CreateTempSubdirectory("compose-hostile-");
        try
        {
            var pipeline = Path.Combine(directory.FullName, "pipeline.yaml");
            var trace = Path.Combine(directory.FullName, "trace.jsonl");
            await File.WriteAllTextAsync(pipeline, $"""
                compose: 1
                name: hostile-upstream
                models:
                  gpt: {"{"} provider: openai, model: test-model, base_url: "{upstream.BaseUrl}", api_key_env: {KeyVariable}, max_retries: 0 {"}"}
                defaults: {"{"} model: gpt, temperature: 0.0, max_tokens: 16 {"}"}
                layers:
                  - generate: {"{"} samples: 1 {"}"}
                output: first
                """);

            var result = await Cli.Process(
                ["run", pipeline, "--input", "What is 2 + 2?", "--trace", trace, "--json"],
                env: new Dictionary<string, string> { [KeyVariable] = key });
            var traced = await File.ReadAllTextAsync(trace);

            Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}: {result.All}");
            Assert.True(upstream.Requests >= 1, "the upstream was never called");
            Assert.Contains($"gpt ({upstream.BaseUrl}): ", result.Error, StringComparison.Ordinal);
            Assert.Contains(problem, result.Error, StringComparison.Ordinal);
            Assert.False(result.ShowsStackTrace, result.All);
            Assert.DoesNotContain("Exception", result.All, StringComparison.Ordinal);
            Assert.Contains(problem.Replace("\"", "\\\"", StringComparison.Ordinal), traced, StringComparison.Ordinal);
            foreach (var text in new[] { result.Out, result.Error, traced })
            {
                for (var i = 0; i + 8 <= key.Length; i++)
                {
                    Assert.DoesNotContain(key.Substring(i, 8), text, StringComparison.OrdinalIgnoreCase);
                }
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>An HTTP server on 127.0.0.1 that answers every request with the same status, content type and body.</summary>
    private sealed class FakeUpstream : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;
        private int _requests;

        private FakeUpstream(int port, int status, string contentType, string body)
        {
            BaseUrl = $"http://127.0.0.1:{port}/v1";
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            var bytes = Encoding.UTF8.GetBytes(body);
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    {
                        context = await _listener.GetContextAsync();
                    }
                    catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                    {
                        return;
                    }

                    Interlocked.Increment(ref _requests);
                    try
                    {
                        await context.Request.InputStream.CopyToAsync(Stream.Null);
                        context.Response.StatusCode = status;
                        context.Response.ContentType = contentType;
                        context.Response.ContentLength64 = bytes.Length;
                        await context.Response.OutputStream.WriteAsync(bytes);
                        context.Response.Close();
                    }
                    catch (Exception ex) when (ex is HttpListenerException or IOException or ObjectDisposedException)
                    {
                        // The client went away.
                    }
                }
            });
        }

        public string BaseUrl { get; }

        public int Requests => Volatile.Read(ref _requests);

        public static FakeUpstream Start(int status, string contentType, string body)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return new FakeUpstream(port, status, contentType, body);
        }

        public void Dispose()
        {
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
    }
}
