using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;

namespace Compose.Cli.Tests;

/// <summary>The <c>compose serve</c> boundary, driven from outside: a real server process, raw sockets and HTTP clients on 127.0.0.1.</summary>
public sealed class ServeBoundaryTests(ITestOutputHelper output)
{
    private const string Key = "boundary-key-0123456789";

    private const string Body = """{"model":"self-consistency","messages":[{"role":"user","content":"What is 6*7?"}],"seed":1}""";

    [Fact]
    public async Task Slow_senders_do_not_starve_other_callers()
    {
        // The reported setup: 4 running, 8 queued. The body deadline is long here so the slow senders stay
        // in mid-body for the whole test: they must hold connections only, never slots.
        await using var serve = await ServeProcess.StartAsync(output, "--max-concurrency", "4", "--queue-limit", "8", "--body-timeout-seconds", "120");
        var slow = Enumerable.Range(0, 16).Select(_ => new SlowSender(serve.Port)).ToList();
        try
        {
            await Task.WhenAll(slow.Select(s => s.StartAsync()));
            await Task.Delay(TimeSpan.FromSeconds(1)); // every slow body is in flight

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            var results = new (int Status, double Ms)[50];
            var all = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, 50), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{serve.Port}/v1/chat/completions"), new StringContent(Body, Encoding.UTF8, "application/json"), ct);
                await response.Content.ReadAsStringAsync(ct);
                results[i] = ((int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            });
            all.Stop();

            var ms = results.Select(r => r.Ms).Order().ToArray();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"50 requests beside 16 slow senders: p50 {ms[24]:0} ms, p99 {ms[49]:0} ms, max {ms[^1]:0} ms, all in {all.Elapsed.TotalSeconds:0.0} s"));
            Assert.All(results, r => Assert.Equal(200, r.Status));
            Assert.True(all.Elapsed < TimeSpan.FromSeconds(100), $"50 requests took {all.Elapsed}");

            // The slow senders were mid-body throughout: still sending, not yet answered.
            Assert.All(slow, s => Assert.True(s.StillSending, "a slow sender was answered or cut off early: " + s.Received));
        }
        finally
        {
            foreach (var s in slow)
            {
                s.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_slow_sender_gets_408_at_the_body_deadline()
    {
        await using var serve = await ServeProcess.StartAsync(output, "--body-timeout-seconds", "2");
        using var sender = new SlowSender(serve.Port);
        await sender.StartAsync();
        var answered = await sender.WaitForAnswerAsync(TimeSpan.FromSeconds(30));
        Assert.True(answered, "no answer within 30 s");
        Assert.StartsWith("HTTP/1.1 408", sender.Received, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"request_timeout\"", sender.Received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_urls_is_one_line_and_exit_2()
    {
        var result = await Cli.Process(["serve", "pipelines/self-consistency.yaml", "--models", Repo.ScriptedModels, "--urls", "not-a-url"]);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.False(result.ShowsStackTrace, result.All);
        var line = Assert.Single(result.All.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("CMP923", line, StringComparison.Ordinal);
        Assert.Contains("not-a-url", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_and_exit_2()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var result = await Cli.Process(["serve", "pipelines/self-consistency.yaml", "--models", Repo.ScriptedModels, "--urls", $"http://127.0.0.1:{port}"]);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.False(result.ShowsStackTrace, result.All);
        var line = Assert.Single(result.All.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("CMP924", line, StringComparison.Ordinal);
        Assert.Contains("already in use", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--body-timeout-seconds", "0")]
    [InlineData("--body-timeout-seconds", "NaN")]
    [InlineData("--body-timeout-seconds", "1e9")]
    [InlineData("--max-connections", "0")]
    public async Task Serving_limits_out_of_range_are_refused(string flag, string value)
    {
        var result = await Cli.InProcess("serve", "pipelines/self-consistency.yaml", "--models", Repo.ScriptedModels, flag, value);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("CMP922", result.Error, StringComparison.Ordinal);
        Assert.Contains(flag, result.Error, StringComparison.Ordinal);
    }

    /// <summary>A raw connection that declares a 1,000,000-byte body and sends 100 bytes every 100 ms (1 KB/s, above Kestrel's minimum rate).</summary>
    private sealed class SlowSender(int port) : IDisposable
    {
        private readonly TcpClient _client = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly StringBuilder _received = new();
        private Task _sending = Task.CompletedTask;
        private Task _reading = Task.CompletedTask;

        public string Received
        {
            get
            {
                lock (_received)
                {
                    return _received.ToString();
                }
            }
        }

        public bool StillSending => !_sending.IsCompleted && !_reading.IsCompleted && Received.Length == 0;

        public async Task StartAsync()
        {
            await _client.ConnectAsync(IPAddress.Loopback, port);
            var stream = _client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {Key}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{{\"model\":\"self-consistency\",\"pad\":\""));
            _sending = Task.Run(async () =>
            {
                var chunk = Encoding.ASCII.GetBytes(new string('x', 100));
                while (!_stop.IsCancellationRequested)
                {
                    await stream.WriteAsync(chunk, _stop.Token);
                    await Task.Delay(100, _stop.Token);
                }
            });
            _reading = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                int n;
                while ((n = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    lock (_received)
                    {
                        _received.Append(Encoding.UTF8.GetString(buffer, 0, n));
                    }
                }
            });
        }

        public async Task<bool> WaitForAnswerAsync(TimeSpan timeout)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < timeout && !Received.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                await Task.Delay(100);
            }

            await Task.Delay(200); // the body follows the head
            return Received.Length > 0;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _client.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>A real <c>compose serve</c> child process (scripted models, a key) on a free 127.0.0.1 port.</summary>
    private sealed class ServeProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _stderr;
        private readonly ITestOutputHelper _output;

        private ServeProcess(Process process, int port, ITestOutputHelper output)
        {
            _process = process;
            Port = port;
            _output = output;
            _stderr = process.StandardError.ReadToEndAsync();
        }

        public int Port { get; }

        public static async Task<ServeProcess> StartAsync(ITestOutputHelper output, params string[] flags)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();

            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "Compose.Cli.dll"), "serve", "pipelines/self-consistency.yaml", "--models", Repo.ScriptedModels, "--urls", $"http://127.0.0.1:{port}", "--api-key-env", "COMPOSE_BOUNDARY_KEY", "--log-level", "Warning" }.Concat(flags))
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["COMPOSE_BOUNDARY_KEY"] = Key;
            var serve = new ServeProcess(Process.Start(psi)!, port, output);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                while (await serve._process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                {
                    if (line.Contains("listening on", StringComparison.Ordinal))
                    {
                        _ = serve._process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                        return serve;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }

            await serve.DisposeAsync();
            throw new InvalidOperationException("compose serve did not start");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            var stderr = await _stderr;
            if (stderr.Length > 0)
            {
                _output.WriteLine("compose serve stderr: " + stderr);
            }

            _process.Dispose();
        }
    }
}
