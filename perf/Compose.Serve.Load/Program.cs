using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

// Usage: dotnet run -c Release --project perf/Compose.Serve.Load -- [--clients 64] [--requests 2000] [--max-seconds 120] [--stream-every 4]
// Starts `compose serve` (a child process) on a free 127.0.0.1 port with a scripted pipeline, sends
// the requests from --clients concurrent clients (every --stream-every-th request streams), and
// prints throughput and latency percentiles. Exit code 1 when any request failed.
var clients = Arg("--clients", 64);
var total = Arg("--requests", 2000);
var maxSeconds = Arg("--max-seconds", 120);
var streamEvery = Arg("--stream-every", 4);
var root = FindRoot();
var cli = Path.Combine(root, "src", "Compose.Cli", "bin", Environment.GetEnvironmentVariable("CONFIGURATION") ?? "Release", "net10.0", "Compose.Cli.dll");
if (!File.Exists(cli))
{
    cli = Path.Combine(root, "src", "Compose.Cli", "bin", "Debug", "net10.0", "Compose.Cli.dll");
}

var port = FreePort();
var url = $"http://127.0.0.1:{port}";
var pipeline = Path.Combine(root, "pipelines", "self-consistency.yaml");
var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = root };
foreach (var a in new[] { cli, "serve", pipeline, "--models", Path.Combine(root, "examples", "scripted-models.yaml"), "--urls", url, "--log-level", "Warning", "--max-concurrency", "64" })
{
    psi.ArgumentList.Add(a);
}

using var server = Process.Start(psi)!;
var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
server.OutputDataReceived += (_, e) => { if (e.Data?.Contains("listening on", StringComparison.Ordinal) == true) { ready.TrySetResult(); } };
server.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("server: " + e.Data); } };
server.BeginOutputReadLine();
server.BeginErrorReadLine();
await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
Console.WriteLine($"compose serve {Path.GetRelativePath(root, pipeline)} on {url}: {clients} clients, {total} requests (every {streamEvery}th streamed)");

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
// Warm-up (not measured): one request per client, so JIT and connection setup stay out of the figures.
await Task.WhenAll(Enumerable.Range(0, clients).Select(c => http.PostAsync("/v1/chat/completions",
    new StringContent($$"""{"model":"self-consistency","seed":{{c}},"messages":[{"role":"user","content":"What is 6*7?"}]}""", Encoding.UTF8, "application/json"))));
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(maxSeconds));
var latencies = new double[total];
var next = -1;
var errors = 0;
var firstError = "";
var started = Stopwatch.GetTimestamp();
await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < total && !deadline.IsCancellationRequested)
    {
        var stream = streamEvery > 0 && i % streamEvery == 0;
        var body = $$"""{"model":"self-consistency","seed":{{i}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"What is 6*7?"}]}""";
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), deadline.Token);
            var text = await response.Content.ReadAsStringAsync(deadline.Token);
            var ok = response.StatusCode == HttpStatusCode.OK && text.Contains("\"usage\":{\"prompt_tokens\"", StringComparison.Ordinal) && text.Contains(stream ? "\"delta\":{\"content\":\"" : "\"content\":\"", StringComparison.Ordinal) && (!stream || text.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal));
            if (!ok && Interlocked.Increment(ref errors) == 1)
            {
                firstError = $"{(int)response.StatusCode}: {text[..Math.Min(300, text.Length)]}";
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            if (Interlocked.Increment(ref errors) == 1)
            {
                firstError = ex.Message;
            }
        }

        latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }
}));
var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
var done = Math.Min(next, total);
var sorted = latencies.Take(done).Order().ToArray();
double P(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"requests {done}, errors {errors}, elapsed {elapsed:F2} s, throughput {done / elapsed:F0} req/s, latency ms p50 {P(0.50):F1} p90 {P(0.90):F1} p99 {P(0.99):F1} max {sorted.LastOrDefault():F1}"));
if (errors > 0)
{
    Console.WriteLine("first error: " + firstError);
}

// Graceful stop, as an operator would: SIGTERM, then wait.
Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
if (!server.WaitForExit(15_000))
{
    server.Kill(entireProcessTree: true);
}

Console.WriteLine($"server exit code {server.ExitCode}");
return errors == 0 && done >= total ? 0 : 1;

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Compose.sln")))
    {
        dir = dir.Parent;
    }

    return dir?.FullName ?? throw new InvalidOperationException("Compose.sln not found");
}
